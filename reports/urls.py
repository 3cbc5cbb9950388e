from django.urls import path

from . import views, views_stats

app_name = "reports"
urlpatterns: list = [
    path("budget/", views.budget_report_page, name="budget"),
    path("budget/download/", views.budget_report_download, name="budget_download"),
    path("pledges/monthly/", views_stats.pledge_stats_page, name="pledge_stats"),
    path("pledges/monthly/download/", views_stats.pledge_stats_download, name="pledge_stats_download"),
    path("jobs/", views.report_job_list, name="jobs"),
    path("jobs/new/", views.report_job_create, name="job_create"),
    path("jobs/<int:job_id>/", views.report_job_detail, name="job"),
    path("jobs/<int:job_id>/progress/", views.report_job_progress, name="job_progress"),
    path("jobs/<int:job_id>/download/", views.report_job_download, name="job_download"),
]
