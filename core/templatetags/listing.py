"""``{% sort_header "requested" _("Requested") %}``: a column header that sorts the list by its key
(click again to reverse), keeping the other filters in the URL and going back to page 1; it says the
current order to screen readers (``aria-sort``)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label, align: str = "", css: str = "") -> str:
    request = context["request"]
    current = context.get("sort") or ""
    query = request.GET.copy()
    query.pop("page", None)
    if current == key:
        query["o"], state, arrow = f"-{key}", "ascending", "▲"
    elif current == f"-{key}":
        query["o"], state, arrow = key, "descending", "▼"
    else:
        query["o"], state, arrow = key, "none", ""
    classes = " ".join(c for c in (f"text-{align}" if align else "", css) if c)
    hint = _("按此列排序")
    return format_html('<th scope="col"{} aria-sort="{}"><a href="?{}" class="sort-link" title="{}">{}{}</a></th>',
                       format_html(' class="{}"', classes) if classes else "", state, query.urlencode(), hint,
                       label, format_html(' <span aria-hidden="true">{}</span>', arrow) if arrow else "")
