"""Small value parsers shared by services and handlers: money with two places, patent numbers,
the applicant's yearly total. Each raises ``Invalid`` keyed by the field it read."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import DecimalField, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from applicants.errors import Invalid
from applicants.identifiers import IdentifierError, check_patent_number
from applicants.models import IPAsset

from .workflow import RELEASING_STATES

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value, field: str, *, required: bool = True, positive: bool = True, allow_zero: bool = False
          ) -> Decimal | None:
    """Parse a yuan amount: Decimal or decimal string (never float), at most two decimals."""
    if value is None or value == "":
        if required:
            raise Invalid(_("该字段必填"), field=field)
        return None
    if isinstance(value, float) or isinstance(value, bool):
        raise Invalid(_("金额应为十进制字符串，如 \"1000.00\""), field=field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(_("请输入有效的金额"), field=field) from None
    if not amount.is_finite():
        raise Invalid(_("请输入有效的金额"), field=field)
    if amount.as_tuple().exponent < -2:
        raise Invalid(_("金额最多保留 2 位小数"), field=field)
    if amount.adjusted() >= 12:
        raise Invalid(_("金额过大"), field=field)
    if positive and (amount < 0 or (amount == 0 and not allow_zero)):
        raise Invalid(_("金额必须大于 0"), field=field)
    return quantize(amount)


def patent_assets(numbers, field: str, applicant) -> list[IPAsset]:
    """The applicant's registered patents for ``numbers`` (normalized); errors name the patent."""
    if isinstance(numbers, str):
        numbers = [numbers]
    if not isinstance(numbers, list | tuple) or not numbers:
        raise Invalid(_("请至少填写一件专利"), field=field)
    normalized: list[str] = []
    errors: list[str] = []
    for raw in numbers:
        try:
            normalized.append(check_patent_number(raw).number)
        except IdentifierError as exc:
            errors.append(f"{raw}：{exc.message}")
    if errors:
        raise Invalid(errors=({field: errors}))
    if len(set(normalized)) != len(normalized):
        raise Invalid(_("专利重复填写"), field=field)
    assets = {a.number: a for a in IPAsset.objects.filter(kind=IPAsset.Kind.PATENT, number__in=normalized)}
    for number in normalized:
        asset = assets.get(number)
        if asset is None:
            errors.append(_("专利 %(no)s 尚未登记，请先在“知识产权”中登记") % {"no": number})
        elif asset.owner_id != applicant.pk:
            errors.append(_("专利 %(no)s 的权利人不是申请人（须由专利权人申请）") % {"no": number})
        elif not asset.is_valid:
            errors.append(_("专利 %(no)s 已失效") % {"no": number})
    if errors:
        raise Invalid(errors={field: errors})
    return [assets[n] for n in normalized]


def applicant_year_total(application) -> Decimal:
    """What the applicant already holds in this program and year (live or approved), other applications."""
    from .models import Application

    total = (
        Application.objects.filter(
            applicant_id=application.applicant_id, program_id=application.program_id,
            fiscal_year=application.fiscal_year,
        )
        .exclude(pk=application.pk)
        .exclude(state__in=RELEASING_STATES)
        .aggregate(t=Coalesce(Sum(Coalesce("approved_amount", "requested_amount")), ZERO,
                              output_field=DecimalField(max_digits=16, decimal_places=2)))["t"]
    )
    return total or ZERO
