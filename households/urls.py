from django.urls import path

from households import views

app_name = "households"
urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_edit, name="new"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/delete/", views.household_delete, name="delete"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/members/new/", views.member_edit, name="member_new"),
    path("<int:pk>/members/<int:member_pk>/", views.member_edit, name="member_edit"),
    path("<int:pk>/members/<int:member_pk>/delete/", views.member_delete, name="member_delete"),
    path("<int:pk>/categories/new/", views.category_edit, name="category_new"),
    path("<int:pk>/categories/<int:category_pk>/", views.category_edit, name="category_edit"),
    path("<int:pk>/houses/new/", views.house_edit, name="house_new"),
    path("<int:pk>/houses/<int:house_pk>/", views.house_edit, name="house_edit"),
    path("<int:pk>/houses/<int:house_pk>/delete/", views.house_delete, name="house_delete"),
]
