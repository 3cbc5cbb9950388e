from django.urls import path

app_name = "applicants"
urlpatterns: list = [
]
