"""Reads of the registry: who sees which applicants and IP assets, with the joins lists need."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from . import identifiers
from .models import STAFF_ROLES, Applicant, IPAsset, Role, User


def _staff_region_filter(user: User, field: str) -> Q | None:
    """None: sees nothing. Q(): sees every region (a superuser/admin without a region)."""
    if not user.roles & STAFF_ROLES:
        return None
    if user.region_id is None:
        return Q() if user.has_role(Role.ADMIN) else None
    return Q(**{field: user.region_id})


def ip_assets_visible_to(user: User) -> QuerySet[IPAsset]:
    """Applicants: their own; staff roles: every asset of their region; banks and others: none."""
    qs = IPAsset.objects.select_related("owner")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.has_role(Role.APPLICANT) and user.applicant_id is not None:
        return qs.filter(owner_id=user.applicant_id)
    scope = _staff_region_filter(user, "owner__region_id")
    return qs.none() if scope is None else qs.filter(scope)


def may_list_ip_assets(user: User) -> bool:
    """Banks (and users without an applicant or staff role) are refused (403), not shown an empty list."""
    return bool((user.has_role(Role.APPLICANT) and user.applicant_id) or user.roles & STAFF_ROLES)


def may_register_ip_assets(user: User) -> bool:
    return bool(user.applicant_id) or user.has_role(Role.IP_OFFICE, Role.ADMIN)


def ip_assets_filtered(
    qs: QuerySet[IPAsset], *, kind: str | None = None, number: str | None = None, owner: int | None = None,
    owner_name: str | None = None,
) -> QuerySet[IPAsset]:
    """Filters shared by the API and the pages. ``number`` is matched after normalization
    (``cn201710601862.3`` finds ``ZL201710601862.3``)."""
    if kind:
        qs = qs.filter(kind=kind)
    if number:
        qs = qs.filter(number__contains=identifiers.normalize(number).removeprefix("CN"))
    if owner:
        qs = qs.filter(owner_id=owner)
    if owner_name:
        qs = qs.filter(Q(owner__name__icontains=owner_name.strip()) | Q(owner__credit_code=owner_name.strip()))
    return qs


def applicants_visible_to(user: User) -> QuerySet[Applicant]:
    """Applicants: themselves; staff: their region's applicants, with asset counts."""
    qs = Applicant.objects.select_related("region", "township").annotate(
        patent_count=Count("ip_assets", filter=Q(ip_assets__kind=IPAsset.Kind.PATENT)),
        trademark_count=Count("ip_assets", filter=Q(ip_assets__kind=IPAsset.Kind.TRADEMARK)),
    )
    if user.applicant_id is not None:
        return qs.filter(pk=user.applicant_id)
    scope = _staff_region_filter(user, "region_id")
    return qs.none() if scope is None else qs.filter(scope)


def applicant_by_credit_code(credit_code: str) -> Applicant | None:
    """The enterprise holding this (normalized) code, or None; invalid codes find nothing."""
    try:
        code = identifiers.check_credit_code(credit_code)
    except identifiers.IdentifierError:
        return None
    return Applicant.objects.filter(credit_code=code).select_related("region").first()

