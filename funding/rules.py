"""Small value parsers shared by services and handlers: money with two places, patent numbers.
Each raises ``Invalid`` keyed by the field it read."""

from decimal import Decimal

from django.utils.translation import gettext as _

from applicants.errors import Invalid
from applicants.identifiers import IdentifierError
from applicants.models import IPAsset
from applicants.patent_numbers import normalize_any_patent_number
from core.money import CENT, ZERO, parse_money, quantize  # noqa: F401  re-exported for the handlers


def money(value, field: str, *, required: bool = True, positive: bool = True, allow_zero: bool = False
          ) -> Decimal | None:
    """A yuan amount through the one parser (``core.money.parse_money``); ``positive=False`` admits negatives."""
    return parse_money(value, field, required=required, allow_zero=allow_zero or not positive,
                       allow_negative=not positive)


def patent_assets(numbers, field: str, applicant) -> list[IPAsset]:
    """The applicant's registered patents for ``numbers`` (normalized); errors name the patent."""
    if isinstance(numbers, str):
        numbers = [numbers]
    if not isinstance(numbers, list | tuple) or not numbers:
        raise Invalid(_("请至少填写一件专利"), field=field)
    normalized: list[str] = []
    errors: list[str] = []
    for raw in numbers:
        try:  # Chinese (check digit) or a foreign grant by its own format: claimable at its standard
            normalized.append(normalize_any_patent_number(raw)[0])
        except IdentifierError as exc:
            errors.append(f"{raw}：{exc.message}")
    if errors:
        raise Invalid(errors=({field: errors}))
    if len(set(normalized)) != len(normalized):
        raise Invalid(_("专利重复填写"), field=field)
    assets = {a.number: a for a in IPAsset.objects.filter(kind=IPAsset.Kind.PATENT, number__in=normalized)}
    for number in normalized:
        asset = assets.get(number)
        problem = (_("专利 %(no)s 尚未登记，请先在“知识产权”中登记") % {"no": number} if asset is None
                   else asset_problem(asset, applicant))
        if problem:
            errors.append(problem)
    if errors:
        raise Invalid(errors={field: errors})
    return [assets[n] for n in normalized]


def asset_problem(asset: IPAsset, applicant) -> str | None:
    """Why ``applicant`` may not claim its registered patent ``asset`` in any program (None: it may)."""
    if asset.owner_id != applicant.pk:
        return _("专利 %(no)s 的权利人不是申请人（须由专利权人申请）") % {"no": asset.number}
    if not asset.is_valid:
        return _("专利 %(no)s 已失效") % {"no": asset.number}
    return None
