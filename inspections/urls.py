from django.urls import path

from inspections import sampling_views, views

app_name = "inspections"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("households/<int:pk>/inspect/", views.inspect, name="inspect"),
    path("households/<int:pk>/safety/", views.household_safety, name="household_safety"),
    path("appraisal-tasks/", views.appraisal_tasks, name="appraisal_tasks"),
    path("houses/<int:house_pk>/appraise/", views.appraise, name="appraise"),
    path("appraisals/<int:pk>/", views.appraisal_detail, name="appraisal"),
    path("appraisals/<int:pk>/pdf/", views.appraisal_pdf, name="appraisal_pdf"),
    path("houses/<int:house_pk>/label.pdf", views.house_label, name="house_label"),
    path("labels/", views.village_labels, name="village_labels"),
    path("weekly/", views.weekly, name="weekly"),
    path("sampling/", sampling_views.plans, name="sampling_plans"),
    path("sampling/new/", sampling_views.plan_new, name="sampling_new"),
    path("sampling/<int:pk>/", sampling_views.plan_detail, name="sampling_plan"),
    path("sampling/<int:pk>/disagreements/", sampling_views.disagreements, name="sampling_disagreements"),
    path("sampling/items/<int:pk>/review/", sampling_views.review, name="sampling_review"),
]
