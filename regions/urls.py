from django.urls import path

from regions import views

app_name = "regions"
urlpatterns = [
    path("", views.browse, name="browse"),
    # before <code>/: "aliases" is not a region code
    path("aliases/", views.alias_list, name="aliases"),
    path("aliases/new/", views.alias_edit, name="alias_new"),
    path("aliases/<int:pk>/", views.alias_edit, name="alias_edit"),
    path("<str:code>/", views.browse, name="detail"),
]
