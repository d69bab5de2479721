from django.urls import path

from codetables import views

app_name = "codetables"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.item_edit, name="new"),
    path("<int:pk>/", views.item_edit, name="edit"),
]
