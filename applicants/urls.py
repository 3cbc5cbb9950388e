from django.urls import path

from . import views

app_name = "applicants"
urlpatterns: list = [
    path("ip-assets/", views.my_assets, name="my_assets"),
    path("ip-assets/new/", views.asset_register, name="asset_register"),
    path("registry/", views.registry, name="registry"),
    path("organisation/", views.organisation, name="organisation"),
]
