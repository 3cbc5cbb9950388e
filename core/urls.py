from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.inbox_list, name="inbox"),
    path("<int:pk>/", views.inbox_open, name="inbox_open"),
    path("read-all/", views.inbox_read_all, name="inbox_read_all"),
]
