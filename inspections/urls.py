from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("households/<int:pk>/inspect/", views.inspect, name="inspect"),
    path("households/<int:pk>/safety/", views.household_safety, name="household_safety"),
    path("appraisal-tasks/", views.appraisal_tasks, name="appraisal_tasks"),
    path("houses/<int:house_pk>/appraise/", views.appraise, name="appraise"),
    path("appraisals/<int:pk>/", views.appraisal_detail, name="appraisal"),
    path("weekly/", views.weekly, name="weekly"),
]
