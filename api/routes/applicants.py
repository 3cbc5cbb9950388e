from django.urls import path

from api.views.applicants import IPAssetListCreate

urlpatterns = [
    path("ip-assets/", IPAssetListCreate.as_view(), name="api-ip-assets"),
]
