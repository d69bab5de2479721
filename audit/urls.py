from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search_view, name="search"),
    path("<int:pk>/", views.detail_view, name="detail"),
]
