from django.urls import path

from codetables import views

app_name = "codetables"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.item_edit, name="new"),
    path("<int:pk>/", views.item_edit, name="edit"),
    path("aliases/", views.alias_list, name="aliases"),
    path("aliases/new/", views.alias_edit, name="alias_new"),
    path("aliases/<int:pk>/", views.alias_edit, name="alias_edit"),
    path("aliases/<int:pk>/deactivate/", views.alias_deactivate, name="alias_deactivate"),
]
