from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path("imports/upload/", views.import_upload, name="import_upload"),
    path("imports/template.xlsx", views.import_template, name="import_template"),
    path("imports/<uuid:pk>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("imports/<uuid:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<uuid:pk>/<str:action>/", views.import_action, name="import_action"),
    path("exports/", views.export_list, name="exports"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/<uuid:pk>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:pk>/download/", views.export_download, name="export_download"),
]
