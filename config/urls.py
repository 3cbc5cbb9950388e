from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from applicants import views as applicant_views
from core import error_pages

urlpatterns = [
    path("", applicant_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file: no inline script, so the CSP holds.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="drf_spectacular/swagger_ui_csp.html"),
        name="swagger-ui",
    ),
    path("api/v1/", include("api.urls")),
    path("inbox/", include("core.urls")),
    path("applicants/", include("applicants.urls")),
    path("funding/", include("funding.urls")),
    path("pledges/", include("pledges.urls")),
    path("reports/", include("reports.urls")),
]

# JSON errors under /api/, the HTML pages elsewhere. The catch-all keeps unknown API URLs JSON even
# with DEBUG on (where Django would show its technical 404 page); it must stay last.
urlpatterns += [re_path(r"^api/", error_pages.api_not_found)]
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
