"""The text-cleaning step for what no parser sees: query strings, page form posts, the path, headers.

A NUL, another control character or a Unicode non-character (``core.text``) in a query parameter
(``?borrower_credit_code=%00``), in a field of a page's form post, in an uploaded file's name or in
the ``Idempotency-Key`` header is refused before any view runs: under ``/api/`` a JSON 400 keyed by
the parameter, on the pages a 400 page that says which field. Such a character in the path names
nothing: 404. API bodies are checked by ``api.parsers``. (Otherwise PostgreSQL raises on the NUL and
the caller gets a 500; SQLite stores it.)
"""

from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.error_pages import API_PREFIX
from core.text import problem_message, tree_problems

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_HEADERS = ("Idempotency-Key",)


def _fields(pairs) -> dict[str, list[str]]:
    """``{name: [message]}`` for the names among ``(name, values)`` with a forbidden character in the
    name or any value (a repeated parameter reports under its name once)."""
    problems: dict[str, list[str]] = {}
    for name, values in pairs:
        messages = tree_problems([name, *values])
        if messages:
            problems[name if not problem_message(name) else "non_field_errors"] = next(iter(messages.values()))[:1]
    return problems


def text_problems(request) -> dict[str, list[str]]:
    """``{field: [message]}`` for every forbidden character in what ``request`` carries besides an API body."""
    if problem_message(request.path_info):
        raise Http404(_("路径中含有控制字符或无效字符"))
    problems = _fields(request.GET.lists())
    for header in _HEADERS:
        message = problem_message(request.headers.get(header, ""))
        if message:
            problems[header] = [message]
    is_api = request.path_info.startswith(API_PREFIX)
    if not is_api and request.method == "POST" and request.content_type in _FORM_TYPES:
        problems.update(_fields(request.POST.lists()))
        problems.update(_fields((key, [str(f.name) for f in files]) for key, files in request.FILES.lists()))
    return problems


def _refuse(request, problems: dict[str, list[str]]):
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(problems, status=400, json_dumps_params={"ensure_ascii": False})
    lines = [_("%(field)s：%(message)s") % {"field": field, "message": messages[0]}
             for field, messages in problems.items()]
    try:
        return render(request, "400.html", {"problems": lines}, status=400)
    except TemplateDoesNotExist:
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        body = (f"<!doctype html><html lang=\"zh-hans\"><head><meta charset=\"utf-8\"><title>400</title></head>"
                f"<body><h1>{escape(_('请求无效'))}</h1><p>{escape(_('以下字段含有控制字符或无效字符，请删除后重试：'))}"
                f"</p><ul>{items}</ul></body></html>")
        return HttpResponseBadRequest(body, content_type="text/html; charset=utf-8")


class TextGuardMiddleware:
    """Refuse requests whose query string, form post or headers hold a forbidden character."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        problems = text_problems(request)
        if problems:
            return _refuse(request, problems)
        return self.get_response(request)
