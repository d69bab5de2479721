from django.urls import path

from field import views

app_name = "field"
urlpatterns = [
    path("", views.app, name="app"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("flags/", views.flags, name="flags"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("photos/<uuid:uid>/", views.photo, name="photo"),
    path("overrides/<int:case_pk>/", views.override, name="override"),
]
