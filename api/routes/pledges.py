from django.urls import path

from api.views import pledges as views

urlpatterns = [
    path("pledges/", views.LoanListCreate.as_view(), name="api-pledges"),
    path("pledges/<int:pk>/", views.LoanDetail.as_view(), name="api-pledge-detail"),
    path("pledges/<int:pk>/repayments/", views.LoanRepayments.as_view(), name="api-pledge-repayments"),
    path("pledges/<int:pk>/settle/", views.LoanSettle.as_view(), name="api-pledge-settle"),
    path("pledges/<int:pk>/default/", views.LoanDefault.as_view(), name="api-pledge-default"),
    path("pledges/<int:pk>/recoveries/", views.LoanRecoveries.as_view(), name="api-pledge-recoveries"),
]
