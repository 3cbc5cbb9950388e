"""失信 bars where staff see applicants outside the funding pages (the IP registry, ``applicants``):
``{% load funding_bars %}{% barred_among assets "owner_id" as barred_ids %}`` then
``{% if asset.owner_id in barred_ids %}``. Defined here, not in ``applicants``, because the bars are
funding's (dependencies point funding → applicants); one query per page, none for applicants."""

from django import template

from funding.selectors import barred_applicant_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def barred_among(context, objects, attribute: str = "applicant_id") -> frozenset[int]:
    """The ids (``attribute`` of each of ``objects``) of applicants an active bar holds, for the
    signed-in staff user of their region; empty for everyone else."""
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return barred_applicant_ids(user, (getattr(item, attribute, None) for item in objects))
