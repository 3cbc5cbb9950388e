from django.urls import path

from . import views, views_guide, views_notice
from . import views_lifecycle as lifecycle

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
    path("<int:pk>/documents/<int:doc_id>/remove/", views.document_remove, name="document_remove"),
    path("<int:pk>/receipt/", views_guide.receipt, name="receipt"),
    path("<int:pk>/form.pdf", views_guide.application_pdf, name="form_pdf"),
    path("programs/<str:code>/", views_guide.program_guide, name="guide"),
    path("compliance/", views_guide.compliance_page, name="compliance"),
    path("<int:pk>/clawback/", lifecycle.clawback_new, name="clawback"),
    path("<int:pk>/objections/resolve/", lifecycle.objection_resolve, name="objection_resolve"),
    path("applicants/<int:applicant_id>/", lifecycle.applicant_standing, name="applicant"),
    path("applicants/<int:applicant_id>/lift-bar/", lifecycle.bar_lift, name="bar_lift"),
    path("intake/", views.intake_queue, name="intake"),
    path("reviews/", views.review_queue, name="reviews"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("budgets/", views.budget_overview, name="budgets"),
    path("notices/", views_notice.public_notices, name="notices"),
    path("notices/<str:region>/<str:program>/<int:year>/", views_notice.notice_document, name="notice"),
    path("notices/objections/<int:pk>/", views_notice.objection_new, name="object"),
]
