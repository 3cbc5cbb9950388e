from django.urls import path

from . import views, views_bank, views_batch

app_name = "pledges"
urlpatterns = [
    path("", views.loan_list, name="loan_list"),
    path("new/", views_bank.loan_register, name="loan_register"),
    path("import/", views_batch.loan_import, name="loan_import"),
    path("import/template/", views_batch.import_template, name="import_template"),
    path("<int:pk>/", views.loan_detail, name="loan_detail"),
    path("<int:pk>/cancel/", views.loan_cancel, name="loan_cancel"),
    path("<int:pk>/repayment/", views_bank.loan_repayment, name="loan_repayment"),
    path("<int:pk>/settle/", views_bank.loan_settle, name="loan_settle"),
    path("<int:pk>/default/", views_bank.loan_default, name="loan_default"),
    path("<int:pk>/recovery/", views_bank.loan_recovery, name="loan_recovery"),
]
