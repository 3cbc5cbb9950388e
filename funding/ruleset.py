"""A program's rules as one value: read from the program (live) or from the copy frozen on a case.

``RULE_FIELDS`` are the program fields a rule may change; ``normalise`` is the one validation of
their values (ranges, shapes, plain decimals) for every path that changes them (API, admin,
commands); ``RuleSet`` is what the workflow, the handlers and the approval bound read:
``application.rules`` — the copy frozen at submission, or the program's current rules before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from applicants.models import PatentType
from core.errors import Invalid
from core.money import parse_fraction, parse_money
from core.text import clean_text

# The rules a case is judged by (frozen on it at submission). Names and texts are not rules.
RULE_FIELDS = (
    "publicity_days", "expert_review", "min_reviews", "cap_per_project", "cap_per_applicant_year",
    "subsidy_standards", "fee_share", "grant_years_back", "award_levels", "first_tranche_share",
    "interest_ratio", "risk_share", "required_documents", "ban_years", "publicity_day_kind", "scoring_criteria",
    "subsidy_trigger", "interest_basis", "lpr_markup_cap", "insured_interest_ratio", "first_pledge_only",
    "max_years_per_loan", "auto_subsidy_mode", "auto_subsidy_on",
)
TEXT_FIELDS = ("name_zh", "name_en", "description")
EDITABLE_PROGRAM_FIELDS = (*TEXT_FIELDS, "is_open", *RULE_FIELDS)

_AWARD_LEVELS = ("gold", "silver", "excellence")
# Rules whose absence from a case's frozen copy means they did not exist when it was submitted.
ABSENT_WHEN_FROZEN = {"scoring_criteria": list, "subsidy_trigger": lambda: "grant", "interest_basis": lambda: "paid",
                      "lpr_markup_cap": lambda: None, "insured_interest_ratio": lambda: None,
                      "first_pledge_only": lambda: False, "max_years_per_loan": lambda: None,
                      "auto_subsidy_mode": lambda: "off", "auto_subsidy_on": str}
DECIMAL_RULES = frozenset({"cap_per_project", "cap_per_applicant_year", "fee_share", "first_tranche_share",
                           "interest_ratio", "risk_share", "lpr_markup_cap", "insured_interest_ratio"})


@dataclass(frozen=True)
class RuleSet:
    publicity_days: int
    expert_review: bool
    min_reviews: int
    cap_per_project: Decimal | None
    cap_per_applicant_year: Decimal | None
    subsidy_standards: dict
    fee_share: Decimal
    grant_years_back: int
    award_levels: dict
    first_tranche_share: Decimal
    interest_ratio: Decimal
    risk_share: Decimal
    required_documents: list
    ban_years: int = 3
    publicity_day_kind: str = "working"
    # 评分细则: [{"key", "label", "max"}, …], maxima summing to 100; empty = one 0–100 score.
    scoring_criteria: list = field(default_factory=list)
    subsidy_trigger: str = "grant"
    interest_basis: str = "paid"
    lpr_markup_cap: Decimal | None = None
    insured_interest_ratio: Decimal | None = None
    first_pledge_only: bool = False
    max_years_per_loan: int | None = None
    auto_subsidy_mode: str = "off"
    auto_subsidy_on: str = ""

    @classmethod
    def of_program(cls, program) -> RuleSet:
        return cls(**{name: getattr(program, name) for name in RULE_FIELDS})

    @classmethod
    def from_json(cls, data: dict, program) -> RuleSet:
        """The frozen copy; a rule added after the case was frozen reads the program's value, but for
        those in ``ABSENT_WHEN_FROZEN``: a case submitted before 评分细则 existed had none (its round
        may be half scored already), so its experts keep one 0–100 score."""
        values: dict[str, Any] = {}
        decimals = DECIMAL_RULES
        for name in RULE_FIELDS:
            if name not in data and name in ABSENT_WHEN_FROZEN:
                values[name] = ABSENT_WHEN_FROZEN[name]()
            elif name not in data:
                values[name] = getattr(program, name)
            elif name in decimals:
                values[name] = None if data[name] is None else Decimal(data[name])
            else:
                values[name] = data[name]
        return cls(**values)

    def as_json(self) -> dict:
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = format(value, "f") if isinstance(value, Decimal) else value
        return out

    # Readers: the JSON rules hold plain decimal strings (``normalise``); these give Decimals.
    def subsidy_standard(self, patent_type: str, country: str) -> Decimal | None:
        by_country = (self.subsidy_standards or {}).get(patent_type)
        if not by_country:
            return None
        value = by_country.get(country, by_country.get("*"))
        return None if value is None else Decimal(str(value))

    def award_amount(self, level: str) -> Decimal | None:
        value = (self.award_levels or {}).get(level)
        return None if value is None else Decimal(str(value))


# --- validation of changes -----------------------------------------------------------------------

def _integer(value: object, field: str, low: int, high: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(_("%(label)s应为整数") % {"label": label}, field=field)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise Invalid(_("%(label)s应为 %(low)d–%(high)d 的整数") % {"label": label, "low": low, "high": high},
                      field=field)
    number = int(text)
    if not low <= number <= high:
        raise Invalid(_("%(label)s应为 %(low)d–%(high)d 的整数") % {"label": label, "low": low, "high": high},
                      field=field)
    return number


def _choice(value: object, field: str, allowed: tuple[str, ...], message: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(message, field=field)
    return value


def _boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(_("应为 true 或 false"), field=field)
    return value


def _cap(value: object, field: str) -> Decimal | None:
    if value is None or value == "":
        return None  # no cap
    return parse_money(value, field, allow_zero=True)


def _amount_text(value: object, field: str) -> str:
    return format(parse_money(value, field, allow_zero=True), "f")


def _standards(value: object, field: str) -> dict:
    shape = _("格式应为 {专利类型: {国家代码或\"*\": \"金额\"}}，专利类型为 invention、utility_model 或 design")
    if not isinstance(value, dict):
        raise Invalid(shape, field=field)
    out: dict[str, dict[str, str]] = {}
    for patent_type, by_country in value.items():
        if patent_type not in PatentType.values or not isinstance(by_country, dict):
            raise Invalid(shape, field=field)
        row: dict[str, str] = {}
        for country, amount in by_country.items():
            if not (country == "*" or (isinstance(country, str) and len(country) == 2 and country.isascii()
                                       and country.isalpha() and country.isupper())):
                raise Invalid(_("国家代码应为 2 位大写字母（如 US）或 \"*\"（其他国家）：%(c)s") % {"c": str(country)[:10]},
                              field=field)
            row[country] = _amount_text(amount, field)
        out[patent_type] = row
    return out


def _levels(value: object, field: str) -> dict:
    if not isinstance(value, dict) or not set(value) <= set(_AWARD_LEVELS):
        raise Invalid(_("格式应为 {等级: \"金额\"}，等级为 gold、silver、excellence"), field=field)
    return {level: _amount_text(amount, field) for level, amount in value.items()}


def _documents(value: object, field: str) -> list:
    if not isinstance(value, list):
        raise Invalid(_("应为材料类型名称的列表"), field=field)
    names = [clean_text(item, field, max_length=40, required=True, label=_("材料类型")) for item in value]
    if len(set(names)) != len(names):
        raise Invalid(_("材料类型重复"), field=field)
    return names


MAX_CRITERIA = 12
_CRITERION_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _criteria(value: object, field: str) -> list:
    """评分细则: at most 12 weighted items ``{"key", "label", "max"}`` whose maxima sum to exactly 100."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Invalid(_("评分细则格式应为 [{\"key\": 代码, \"label\": 名称, \"max\": 满分}, …]"), field=field)
    if len(value) > MAX_CRITERIA:
        raise Invalid(_("评分细则最多 %(n)d 项") % {"n": MAX_CRITERIA}, field=field)
    out: list[dict] = []
    for item in value:
        if set(item) != {"key", "label", "max"}:
            raise Invalid(_("评分细则格式应为 [{\"key\": 代码, \"label\": 名称, \"max\": 满分}, …]"), field=field)
        key = item["key"]
        if not isinstance(key, str) or not _CRITERION_KEY.fullmatch(key):
            raise Invalid(_("评分项代码应为小写英文字母开头、由小写字母、数字和下划线组成（如 tech）：%(key)s")
                          % {"key": str(key)[:40]}, field=field)
        if any(seen["key"] == key for seen in out):
            raise Invalid(_("评分项代码重复：%(key)s") % {"key": key}, field=field)
        label = clean_text(item["label"], field, max_length=40, required=True, label=_("评分项名称"))
        top = _integer(item["max"], field, 1, 100, _("评分项「%(label)s」的满分") % {"label": label})
        out.append({"key": key, "label": label, "max": top})
    total = sum(item["max"] for item in out)
    if out and total != 100:
        raise Invalid(_("各评分项满分之和应为 100，实际为 %(sum)d") % {"sum": total}, field=field)
    return out


def _share(value: object, field: str, *, low_open: bool = False) -> Decimal:
    return parse_fraction(value, field, low_open=low_open)


def _optional_share(value: object, field: str) -> Decimal | None:
    return None if value is None or value == "" else parse_fraction(value, field)


def _optional_integer(value: object, field: str, low: int, high: int, label: str) -> int | None:
    return None if value is None or value == "" else _integer(value, field, low, high, label)


_MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def _month_day(value: object, field: str) -> str:
    text = "" if value is None else clean_text(value, field, max_length=5)
    if text and not _MONTH_DAY.fullmatch(text):
        raise Invalid(_("计算日应为“月-日”，如 01-15"), field=field)
    if text and text[:2] == "02" and int(text[3:]) > 28:
        raise Invalid(_("计算日不要选 2 月 29 日之后：不是每年都有"), field=field)
    return text


VALIDATORS = {
    "name_zh": lambda v, f: clean_text(v, f, max_length=100, required=True, label=_("中文名称")),
    "name_en": lambda v, f: clean_text(v, f, max_length=100, required=True, label=_("英文名称")),
    "description": lambda v, f: clean_text(v, f, max_length=4000),
    "is_open": _boolean,
    "expert_review": _boolean,
    "publicity_days": lambda v, f: _integer(v, f, 0, 60, _("公示期")),
    "publicity_day_kind": lambda v, f: _choice(v, f, ("working", "calendar"),
                                               _("公示期计算方式应为 working（工作日）或 calendar（自然日）")),
    "min_reviews": lambda v, f: _integer(v, f, 1, 15, _("所需评审数")),
    "ban_years": lambda v, f: _integer(v, f, 0, 10, _("失信限制年限")),
    "grant_years_back": lambda v, f: _integer(v, f, 1, 10, _("授权年份范围")),
    "cap_per_project": _cap,
    "cap_per_applicant_year": _cap,
    "subsidy_standards": _standards,
    "award_levels": _levels,
    "required_documents": _documents,
    "scoring_criteria": _criteria,
    "fee_share": _share,
    "interest_ratio": _share,
    "risk_share": _share,
    "first_tranche_share": lambda v, f: _share(v, f, low_open=True),
    "subsidy_trigger": lambda v, f: _choice(v, f, ("grant", "filing"),
                                            _("资助环节应为 grant（授权后）或 filing（申请时）")),
    "interest_basis": lambda v, f: _choice(v, f, ("paid", "lpr"), _("贴息计算基数应为 paid（实付利息）或 lpr（LPR）")),
    "lpr_markup_cap": _optional_share,
    "insured_interest_ratio": _optional_share,
    "first_pledge_only": _boolean,
    "max_years_per_loan": lambda v, f: _optional_integer(v, f, 1, 10, _("每笔贷款最多贴息年数")),
    "auto_subsidy_mode": lambda v, f: _choice(v, f, ("off", "confirm", "direct"),
                                              _("免申即享应为 off、confirm（企业确认）或 direct（直接办理）")),
    "auto_subsidy_on": _month_day,
}


def normalise(changes: dict) -> dict:
    """Validated, normalised values for ``changes``; ``Invalid`` with every field's error."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        validator = VALIDATORS.get(name)
        if validator is None:
            errors[name] = [_("该字段不可修改")]
            continue
        try:
            clean[name] = validator(value, name)
        except Invalid as exc:
            errors.setdefault(name, []).extend(exc.as_field_errors().get(name) or [exc.message])
    if errors:
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    return clean


def jsonable(value: Any) -> Any:
    """A rule value as the audit row stores it (decimals as plain strings)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
