from django.urls import path

from ..views import clawbacks as c
from ..views import funding as v
from ..views import objections as o

urlpatterns = [
    path("programs/", v.ProgramList.as_view(), name="program-list"),
    path("programs/<str:code>/", v.ProgramDetail.as_view(), name="program-detail"),
    path("programs/<str:code>/history/", v.ProgramHistory.as_view(), name="program-history"),
    path("programs/<str:code>/versions/", v.ProgramVersions.as_view(), name="program-versions"),
    path("budgets/", v.BudgetList.as_view(), name="budget-list"),
    path("budgets/adjustments/", v.BudgetAdjustmentCreate.as_view(), name="budget-adjustment"),
    path("applications/", v.ApplicationListCreate.as_view(), name="application-list"),
    path("applications/<int:pk>/", v.ApplicationDetail.as_view(), name="application-detail"),
    path("applications/<int:pk>/transitions/<str:name>/", v.ApplicationTransition.as_view(),
         name="application-transition"),
    path("applications/<int:pk>/history/", v.ApplicationHistory.as_view(), name="application-history"),
    path("applications/<int:pk>/reviews/", v.ApplicationReviews.as_view(), name="application-reviews"),
    path("applications/<int:pk>/clawbacks/", c.ApplicationClawbacks.as_view(), name="application-clawbacks"),
    path("applications/<int:pk>/objections/", o.ApplicationObjections.as_view(), name="application-objections"),
    path("applications/<int:pk>/objections/<int:oid>/resolve/", o.ObjectionResolve.as_view(),
         name="objection-resolve"),
    path("applications/<int:pk>/documents/", v.DocumentUpload.as_view(), name="application-documents"),
    path("applications/<int:pk>/documents/<int:doc_id>/", v.DocumentDownload.as_view(),
         name="application-document"),
]
