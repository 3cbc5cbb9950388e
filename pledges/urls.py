from django.urls import path

from . import views

app_name = "pledges"
urlpatterns = [
    path("", views.loan_list, name="loan_list"),
    path("<int:pk>/", views.loan_detail, name="loan_detail"),
    path("<int:pk>/cancel/", views.loan_cancel, name="loan_cancel"),
]
