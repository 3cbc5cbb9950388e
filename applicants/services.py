"""Every write of the registry: one function per use case, one transaction each, keyword-only.

Services raise ``applicants.errors`` (Invalid 400 / NotAllowed 403 / Conflict 409); the API's
exception handler and ``core.web.run_service`` turn them into JSON or page messages.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import identifiers, patent_numbers
from .errors import Conflict, Invalid, NotAllowed
from .models import Applicant, Bank, Industry, IPAsset, PatentType, Region, Role, Township, User

_COUNTRY = re.compile(r"[A-Z]{2}")
FROM_NUMBER = "from_number"  # ``country`` not given: a patent's comes from its number, a trademark is CN
_NAME_MAX = 100
_TITLE_MAX = 200


# --- helpers -----------------------------------------------------------------------------------


def _required_text(value: object, *, field: str, label: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(_("%(label)s不能为空") % {"label": label}, field=field, code="required")
    text = value.strip()
    if len(text) > max_length:
        raise Invalid(
            _("%(label)s最多 %(max)s 个字符，实际为 %(n)s 个") % {"label": label, "max": max_length, "n": len(text)},
            field=field, code="max_length",
        )
    return text


def _identifier(check, raw: object, *, field: str, **kwargs):
    try:
        return check(raw, **kwargs)
    except identifiers.IdentifierError as exc:
        raise Invalid(exc.message, field="country" if exc.code == "country" else field, code=exc.code) from exc


def _country(raw: object) -> str:
    value = identifiers.normalize(raw) if isinstance(raw, str) else ""
    if not _COUNTRY.fullmatch(value):
        raise Invalid(_("国家/地区应为 2 位大写英文字母代码（如 CN、US）"), field="country", code="format")
    return value


def _industry(raw: str) -> str:
    if raw not in Industry.values:
        raise Invalid(_("未知的行业：%(v)s") % {"v": raw}, field="industry", code="invalid_choice")
    return raw


def _township(township: Township | None, region: Region) -> Township | None:
    if township is not None and township.region_id != region.pk:
        raise Invalid(_("乡镇（街道）不属于所选行政区"), field="township", code="invalid_choice")
    return township


def _email(raw: str, field: str) -> str:
    value = (raw or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise Invalid(_("邮箱地址格式不正确"), field=field, code="invalid") from exc
    return value


# --- IP assets ---------------------------------------------------------------------------------


def _asset_owner(by: User, owner: Applicant | None) -> Applicant:
    if owner is None:
        if by.applicant_id is None:
            raise NotAllowed(_("只有代表申请主体的用户才能登记知识产权"))
        return by.applicant
    if owner.pk == by.applicant_id:
        return owner
    if by.has_role(Role.IP_OFFICE, Role.ADMIN) and (by.region_id is None or by.region_id == owner.region_id):
        return owner
    raise NotAllowed(_("无权为其他申请主体登记知识产权"))


def ip_asset_register(
    *,
    by: User,
    kind: str,
    number: object,
    title: object,
    granted_on: dt.date | None = None,
    country: object = FROM_NUMBER,
    nice_class: int | None = None,
    owner: Applicant | None = None,
    patent_type: str | None = None,
) -> IPAsset:
    """Register a patent or trademark for ``by.applicant`` (or, for IP-office/admin staff, ``owner``).

    A patent's number decides its country (``applicants.patent_numbers``): ``ZL``/``CN`` or a bare
    application number is Chinese (check digit enforced, type from the number); US, EP, JP, KR and WO
    grants are checked by their own formats and stored as prefix + number without the kind code. A
    ``country`` that contradicts the number is a 400 on ``country``; without ``country`` it is taken
    from the number. Foreign patents whose number does not give the type take ``patent_type``
    (default invention). 409 ``ip_asset_owned_by_other`` / ``ip_asset_exists`` when the number is
    already registered.
    """
    owner = _asset_owner(by, owner)
    if kind not in IPAsset.Kind.values:
        raise Invalid(_("类型应为 patent（专利）或 trademark（商标）"), field="kind", code="invalid_choice")
    given_country = None if country == FROM_NUMBER else _country(country)
    title = _required_text(title, field="title", label=_("名称"), max_length=_TITLE_MAX)
    if granted_on is not None:
        if not isinstance(granted_on, dt.date):
            raise Invalid(_("授权/注册日应为日期"), field="granted_on", code="invalid")
        if granted_on > timezone.localdate():
            raise Invalid(_("授权/注册日不能晚于今天"), field="granted_on", code="future")

    if kind == IPAsset.Kind.PATENT:
        if nice_class is not None:
            raise Invalid(_("尼斯分类只适用于商标"), field="nice_class", code="not_applicable")
        parsed = _identifier(patent_numbers.check_any_patent_number, number, field="number",
                             country=given_country, today=timezone.localdate())
        if parsed.patent_type and patent_type and patent_type != parsed.patent_type:
            raise Invalid(_("专利类型与专利号不符"), field="patent_type", code="mismatch")
        normalized, country = parsed.number, parsed.country
        patent_type = parsed.patent_type or patent_type or PatentType.INVENTION
        if patent_type not in PatentType.values:
            raise Invalid(_("未知的专利类型"), field="patent_type", code="invalid_choice")
    else:
        country = given_country or "CN"
        normalized = _identifier(identifiers.check_trademark_number, number, field="number")
        if isinstance(nice_class, bool) or not isinstance(nice_class, int) or not 1 <= nice_class <= 45:
            raise Invalid(_("商标须填写尼斯分类（1–45 的整数）"), field="nice_class", code="required")
        patent_type = ""

    with transaction.atomic():
        _ensure_number_free(kind, normalized, owner)
        try:
            with transaction.atomic():
                return IPAsset.objects.create(
                    kind=kind, number=normalized, owner=owner, title=title, patent_type=patent_type,
                    granted_on=granted_on, country=country, nice_class=nice_class,
                )
        except IntegrityError:
            # Registered by someone else between our check and our insert.
            _ensure_number_free(kind, normalized, owner)
            raise


# Checks other apps add (``register_number_guard``; pledges: a right under a live pledge for another
# borrower): each ``guard(kind, number, owner)`` raises ``Conflict`` to refuse the registration.
_NUMBER_GUARDS: list = []


def register_number_guard(guard) -> None:
    _NUMBER_GUARDS.append(guard)


def _ensure_number_free(kind: str, number: str, owner: Applicant) -> None:
    for guard in _NUMBER_GUARDS:
        guard(kind, number, owner)
    holder = IPAsset.objects.filter(kind=kind, number=number).values_list("owner_id", flat=True).first()
    if holder is None:
        return
    if holder != owner.pk:
        raise Conflict(_("号码 %(n)s 已由其他权利人登记") % {"n": number}, code="ip_asset_owned_by_other")
    raise Conflict(_("号码 %(n)s 已登记，无需重复登记") % {"n": number}, code="ip_asset_exists")


# --- applicants ------------------------------------------------------------------------------


def enterprise_register(
    *,
    region: Region,
    credit_code: object,
    name: object,
    industry: str = Industry.OTHER,
    township: Township | None = None,
    address: str = "",
    legal_representative: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Applicant:
    """Register an enterprise by its 统一社会信用代码; 409 ``applicant_exists`` when already known.

    The code's own region (characters 3–8) is recorded in ``credit_region_code``; it may differ
    from ``region`` (an enterprise registered elsewhere that operates in the county).
    """
    code = _identifier(identifiers.check_credit_code, credit_code, field="credit_code")
    name = _required_text(name, field="name", label=_("企业名称"), max_length=_NAME_MAX)
    fields = dict(
        region=region, kind=Applicant.Kind.ENTERPRISE, name=name, credit_code=code, credit_region_code=code[2:8],
        industry=_industry(industry), township=_township(township, region), address=address.strip(),
        legal_representative=legal_representative.strip(), contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(), contact_email=_email(contact_email, "contact_email"),
    )
    return _create_applicant(fields, lookup={"credit_code": code}, label=_("统一社会信用代码"))


def individual_register(
    *,
    region: Region,
    resident_id: object,
    name: object,
    industry: str = Industry.OTHER,
    township: Township | None = None,
    address: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Applicant:
    """Register an individual (non-service) inventor by resident ID; 409 ``applicant_exists`` if known."""
    rid = _identifier(identifiers.check_resident_id, resident_id, field="resident_id", today=timezone.localdate())
    name = _required_text(name, field="name", label=_("姓名"), max_length=_NAME_MAX)
    fields = dict(
        region=region, kind=Applicant.Kind.INDIVIDUAL, name=name, resident_id=rid, credit_code=None,
        industry=_industry(industry), township=_township(township, region), address=address.strip(),
        contact_name=name, contact_phone=contact_phone.strip(), contact_email=_email(contact_email, "contact_email"),
    )
    return _create_applicant(fields, lookup={"resident_id": rid}, label=_("居民身份证号"))


def _create_applicant(fields: dict, *, lookup: dict, label: str) -> Applicant:
    def exists() -> Conflict:
        return Conflict(_("该%(label)s已登记") % {"label": label}, code="applicant_exists")

    with transaction.atomic():
        if Applicant.objects.filter(**lookup).exists():
            raise exists()
        try:
            with transaction.atomic():
                return Applicant.objects.create(**fields)
        except IntegrityError as exc:
            raise exists() from exc


def applicant_update_contact(
    *, by: User, applicant: Applicant, address: str, legal_representative: str, contact_name: str,
    contact_phone: str, contact_email: str, industry: str, township: Township | None = None,
) -> Applicant:
    """An applicant's own profile: contact details, industry and township (not its identifier)."""
    if by.applicant_id != applicant.pk and not by.has_role(Role.IP_OFFICE, Role.ADMIN):
        raise NotAllowed(_("无权修改其他申请主体的资料"))
    with transaction.atomic():
        locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
        locked.address = address.strip()
        locked.legal_representative = legal_representative.strip()
        locked.contact_name = contact_name.strip()
        locked.contact_phone = contact_phone.strip()
        locked.contact_email = _email(contact_email, "contact_email")
        locked.industry = _industry(industry)
        locked.township = _township(township, locked.region)
        locked.save()
        return locked


# --- users -----------------------------------------------------------------------------------


def user_create(
    *,
    username: object,
    password: str,
    role: str,
    region: Region | None,
    applicant: Applicant | None = None,
    bank: Bank | None = None,
    email: str = "",
    full_name: str = "",
    check_password_strength: bool = True,
) -> User:
    """Create a user in the group of ``role``. Applicant users need ``applicant``, bank users ``bank``;
    admins also get Django-admin access. 409 ``user_exists`` for a taken username."""
    if role not in Role.values:
        raise Invalid(_("未知的角色：%(r)s") % {"r": role}, field="role", code="invalid_choice")
    username = _required_text(username, field="username", label=_("用户名"), max_length=150)
    if role == Role.APPLICANT and applicant is None:
        raise Invalid(_("申请人用户须关联一个申请主体"), field="applicant", code="required")
    if role == Role.BANK and bank is None:
        raise Invalid(_("银行用户须关联一家合作银行"), field="bank", code="required")
    if applicant is not None and role != Role.APPLICANT:
        raise Invalid(_("只有申请人用户可以关联申请主体"), field="applicant", code="not_applicable")
    if bank is not None and role != Role.BANK:
        raise Invalid(_("只有银行用户可以关联合作银行"), field="bank", code="not_applicable")
    if region is None and applicant is not None:
        region = applicant.region
    if region is None and bank is not None:
        region = bank.region
    user = User(username=username, email=_email(email, "email"), region=region, applicant=applicant, bank=bank,
                first_name=full_name.strip()[:150], is_staff=role == Role.ADMIN)
    if check_password_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid(errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("用户名 %(u)s 已被使用") % {"u": username}, code="user_exists")
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise Conflict(_("用户名 %(u)s 已被使用") % {"u": username}, code="user_exists") from exc
        user.groups.add(Group.objects.get(name=role))
    return user
