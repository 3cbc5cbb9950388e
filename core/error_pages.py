"""The project's 400/403/404/500 handlers (``config/urls.py``): JSON under ``/api/``, the HTML pages
elsewhere, so an API client never receives an HTML error page."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

API_PREFIX = "/api/"


def _too_big_message() -> str:
    return _("请求体过大")


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(detail: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception=None):
    if _is_api(request):
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
            return _json(_too_big_message(), "request_too_large", 413)
        return _json(_("请求无效"), "bad_request", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _json(_("无权执行此操作"), "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        return _json(_("未找到"), "not_found", 404)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # an unknown API URL is a JSON 404 for every method, not CSRF's HTML 403 for a POST
def api_not_found(request, *args, **kwargs):
    return _json(_("未找到"), "not_found", 404)


def server_error(request):
    if _is_api(request):
        return _json(_("服务器内部错误，已记录，请稍后重试"), "server_error", 500)
    return defaults.server_error(request)
