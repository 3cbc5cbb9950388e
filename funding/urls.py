from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/<str:code>/", views.application_new, name="new"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/transitions/<str:name>/", views.application_transition, name="transition"),
    path("<int:pk>/review/", views.review_submit, name="review"),
    path("<int:pk>/documents/", views.document_upload, name="upload"),
    path("<int:pk>/documents/<int:doc_id>/", views.document_download, name="document"),
    path("intake/", views.intake_queue, name="intake"),
    path("reviews/", views.review_queue, name="reviews"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("budgets/", views.budget_overview, name="budgets"),
    path("notices/", views.public_notices, name="notices"),
]
