from django.urls import path

from renovation import views

app_name = "renovation"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("batch/", views.batch_action, name="batch"),
    path("houses/<int:house_pk>/open/", views.open_case, name="open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/step/", views.case_step, name="step"),
    path("cases/<int:pk>/terms/", views.case_terms, name="terms"),
    path("cases/<int:pk>/photos/", views.case_photos, name="photos"),
    path("cases/<int:pk>/accept/", views.case_accept, name="accept"),
    path("cases/<int:pk>/objection/", views.objection, name="objection"),
    path("cases/<int:pk>/documents/<str:kind>.pdf", views.case_document, name="document"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("ranking/", views.ranking, name="ranking"),
]
