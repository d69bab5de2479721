from django.urls import path

from funds import views

app_name = "funds"
urlpatterns = [
    path("", views.home, name="home"),
    path("standards/", views.add_standard, name="standard_add"),
    path("allocations/", views.add_allocation, name="allocation_add"),
    path("batches/", views.new_batch, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/approve/", views.approve, name="approve"),
    path("batches/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("batches/<int:pk>/issue/", views.issue_bank_file, name="issue_bank_file"),
    path("batches/<int:pk>/bank.<str:fmt>", views.bank_file, name="bank_file"),
    path("batches/<int:pk>/return/", views.bank_return, name="bank_return"),
    path("batches/<int:pk>/decide/", views.decide_line, name="decide_line"),
    path("batches/<int:pk>/list.xlsx", views.exclusions_xlsx, name="batch_xlsx"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/new/", views.request_exception, name="exception_new"),
    path("exceptions/<int:pk>/decide/", views.decide_exception, name="exception_decide"),
    path("payments/", views.payments, name="payments"),
    path("disclosure/", views.disclosure, name="disclosure"),
    path("summary/", views.summary, name="summary"),
]
