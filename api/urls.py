from django.urls import include, path

# Each part of the API keeps its own routes; this file only mounts them.
urlpatterns = [
    path("", include("api.routes.applicants")),
    path("", include("api.routes.funding")),
    path("", include("api.routes.pledges")),
]
