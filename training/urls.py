from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("people/new/", views.trainee_edit, name="trainee_new"),
    path("people/<int:pk>/", views.trainee_edit, name="trainee"),
    path("courses/", views.courses, name="courses"),
    path("courses/new/", views.course_edit, name="course_new"),
    path("courses/<int:pk>/", views.course_edit, name="course"),
]
