from django.urls import path

from . import views

app_name = "reports"
urlpatterns: list = [
    path("budget/", views.budget_report_page, name="budget"),
    path("budget/download/", views.budget_report_download, name="budget_download"),
]
