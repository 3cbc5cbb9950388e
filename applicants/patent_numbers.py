"""Patent numbers of every country: the one place that says which country a number belongs to.

``check_any_patent_number`` parses a Chinese number (through ``identifiers.check_patent_number``,
check digit included) or a foreign grant by its own format (US, EP, JP, KR, WO; another two-letter
prefix as that country's number) and checks a given ``country`` against it.
``normalize_any_patent_number`` is what a lookup of a typed number uses. Pure Python, no Django;
errors are ``identifiers.IdentifierError`` with a Chinese sentence (codes ``format``, ``length``,
``not_granted``, ``year``, ``country`` and those of ``check_patent_number``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .identifiers import IdentifierError, check_patent_number, normalize

# A foreign grant is stored as country prefix + its number, without the kind code (B1/B2 …):
# one grant has one number, so "US11234567", "US 11,234,567 B2" and "US11234567B2" are one patent.
_COUNTRY_NAMES = {"CN": "中国", "US": "美国", "EP": "欧洲专利局", "JP": "日本", "KR": "韩国",
                  "WO": "世界知识产权组织（PCT）"}
_SEPARATORS = str.maketrans("", "", ",-/")
_PREFIX = re.compile(r"[A-Z]{2}")
_OTHER_FOREIGN = re.compile(r"[0-9][0-9A-Z.]{2,17}")
_INVENTION, _UTILITY_MODEL, _DESIGN = "invention", "utility_model", "design"


@dataclass(frozen=True)
class AnyPatentNumber:
    number: str  # "ZL201710601862.3", "US11234567", "EP1234567", "KR102345678", "WO2020123456"
    country: str  # "CN", "US", "EP", "JP", "KR", "WO", or another two-letter prefix
    patent_type: str | None  # "invention" | "utility_model" | "design"; None when the number does not say


def _not_granted(shown: str, example: str) -> IdentifierError:
    msg = f"{shown} 是专利申请公开号，不是授权专利号；请填写授权号，如 {example}"
    return IdentifierError(msg, code="not_granted")


def _foreign_format(country: str, hint: str) -> IdentifierError:
    return IdentifierError(f"{_COUNTRY_NAMES[country]}专利号格式不正确：{hint}", code="format")


def _us(body: str) -> AnyPatentNumber:
    if re.fullmatch(r"\d{11}(A1|A2|A9)?", body):  # US2020/0123456 A1
        raise _not_granted(f"US{body}", "US11234567B2")
    kinds = ((r"(\d{7,8})(A|B1|B2)?", "", _INVENTION, 1_000_000), (r"D(\d{1,7})(S|S1)?", "D", _DESIGN, 1),
             (r"RE(\d{1,6})(E|E1)?", "RE", _INVENTION, 1), (r"PP(\d{1,6})(P|P1|P2|P3)?", "PP", _INVENTION, 1))
    for pattern, series, patent_type, lowest in kinds:
        match = re.fullmatch(pattern, body)
        if match and int(match[1]) >= lowest:
            return AnyPatentNumber(f"US{series}{int(match[1])}", "US", patent_type)
    raise _foreign_format("US", "发明专利为 US + 7–8 位数字（可带 A/B1/B2），如 US9876543、US11234567B2；"
                                "外观设计为 USD + 数字，再颁为 USRE + 数字，植物专利为 USPP + 数字")


def _ep(body: str) -> AnyPatentNumber:
    if re.fullmatch(r"\d{7}(A1|A2|A3|A4|A8|A9)", body):
        raise _not_granted(f"EP{body}", "EP1234567B1")
    match = re.fullmatch(r"(\d{7})(B1|B2|B3|B8|B9)?", body)
    if match is None:
        raise _foreign_format("EP", "应为 EP + 7 位数字（可带 B1/B2/B3），如 EP1234567B1")
    return AnyPatentNumber(f"EP{match[1]}", "EP", _INVENTION)


def _jp(body: str) -> AnyPatentNumber:
    if re.fullmatch(r"\d{10}A?", body):  # JP2020-123456A
        raise _not_granted(f"JP{body}", "JP6543210B2")
    match = re.fullmatch(r"(\d{7})(B1|B2)?", body)
    if match is None:
        raise _foreign_format("JP", "特许号应为 JP + 7 位数字（可带 B1/B2），如 JP6543210B2")
    return AnyPatentNumber(f"JP{match[1]}", "JP", _INVENTION)


def _kr(body: str) -> AnyPatentNumber:
    if re.fullmatch(r"(10|20|30)\d{11}A?", body):  # KR10-2020-0012345A
        raise _not_granted(f"KR{body}", "KR10-2345678")
    match = re.fullmatch(r"(10|20|30)(\d{7})(B1|B2|Y1|S)?", body)
    if match is None:
        raise _foreign_format("KR", "登录号应为 KR + 权利代码 10（专利）/20（实用新型）/30（外观设计）+ 7 位数字，"
                                    "如 KR10-2345678、KR102345678B1")
    patent_type = {"10": _INVENTION, "20": _UTILITY_MODEL, "30": _DESIGN}[match[1]]
    return AnyPatentNumber(f"KR{match[1]}{match[2]}", "KR", patent_type)


def _wo(body: str, today: dt.date | None) -> AnyPatentNumber:
    match = re.fullmatch(r"(\d{4})(\d{6})(A1|A2|A3|A4|A8|A9)?", body) or re.fullmatch(
        r"(\d{2})(\d{5})(A1|A2|A3|A4|A8|A9)?", body)  # WO98/12345: two-digit year, five-digit serial
    if match is None:
        raise _foreign_format("WO", "国际公布号应为 WO + 4 位年份 + 6 位序号，如 WO2020/123456、WO2020123456A1")
    year = int(match[1])
    if len(match[1]) == 2:
        year += 1900 if year >= 78 else 2000
    if not 1978 <= year <= (today or dt.date.today()).year or (len(match[1]) == 2 and year > 2003):
        raise IdentifierError(f"国际公布号中的年份 {year} 不合理", position=3, code="year")
    return AnyPatentNumber(f"WO{year}{int(match[2]):06d}", "WO", _INVENTION)


# Offices that grant patents: the countries of ISO 3166-1 alpha-2 and the regional offices (EP the
# European, EA the Eurasian, AP ARIPO, OA OAPI, GC the Gulf office) and WO (PCT). Anything else
# ("XX…") is not a patent office, so not a foreign grant.
OFFICES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
EP EA AP OA GC WO""".split())


def _foreign(compact: str, today: dt.date | None) -> AnyPatentNumber:
    prefix, body = compact[:2], compact[2:]
    if prefix not in OFFICES:
        raise IdentifierError(f"“{prefix}” 不是专利局的国别或地区代码（如 US、EP、JP、KR、WO、DE）", code="country")
    if prefix == "US":
        return _us(body)
    if prefix == "EP":
        return _ep(body)
    if prefix == "JP":
        return _jp(body)
    if prefix == "KR":
        return _kr(body)
    if prefix == "WO":
        return _wo(body, today)
    if not _OTHER_FOREIGN.fullmatch(body):
        msg = f"国外专利号应为国别代码 {prefix} + 3–18 位数字或字母（以数字开头），如 {prefix}102015123456B4"
        raise IdentifierError(msg, code="format")
    return AnyPatentNumber(compact, prefix, None)


def _country_mismatch(number: str, actual: str, given: str) -> IdentifierError:
    name = _COUNTRY_NAMES.get(actual, actual)
    msg = f"专利号 {number} 是{name}专利，国家/地区应为 {actual}，而不是 {given}"
    return IdentifierError(msg, code="country")


def check_any_patent_number(raw: object, *, country: str | None = None,
                            today: dt.date | None = None) -> AnyPatentNumber:
    """Parse a Chinese or foreign patent number; ``country`` (two upper-case letters), when given, is checked.

    The number decides its country: ``ZL``/``CN`` or a bare application number (``201710601862.3``) is
    Chinese and checked as ``check_patent_number`` does (check digit included); ``US``, ``EP``, ``JP``,
    ``KR`` and ``WO`` are checked by their own formats; another two-letter prefix is accepted as that
    country's number. A number typed without its prefix takes the prefix of a foreign ``country``.
    A ``country`` that contradicts the number is an ``IdentifierError`` with code ``country``.
    """
    if raw is not None and not isinstance(raw, str):
        raise IdentifierError(f"专利号应为文本，实际为 {type(raw).__name__}", code="type")
    value = normalize(raw or "")
    if not value:
        raise IdentifierError("专利号不能为空", code="required")
    compact = value.translate(_SEPARATORS)
    prefix = compact[:2] if _PREFIX.fullmatch(compact[:2]) else ""
    foreign_hint = country if country and country != "CN" else None
    if prefix in ("", "ZL", "CN"):
        try:
            parsed = check_patent_number(value, today=today)
        except IdentifierError as exc:
            if prefix or foreign_hint is None:
                if not prefix and exc.code in ("format", "length"):
                    exc.message = f"{exc.message}；国外专利号须带国别代码，如 US11234567B2、EP1234567B1"
                    exc.args = (exc.message,)
                raise
            if "." in value:  # the shape of a Chinese application number: report it as one
                raise
            result = _foreign(foreign_hint + compact, today)  # a foreign number typed without its prefix
        else:
            result = AnyPatentNumber(parsed.number, "CN", parsed.patent_type)
    else:
        result = _foreign(compact, today)
    if country and country != result.country:
        raise _country_mismatch(result.number, result.country, country)
    if len(result.number) > 20:
        raise IdentifierError(f"专利号最多 20 位，实际为 {len(result.number)} 位", code="length")
    return result


def normalize_any_patent_number(raw: object, *, today: dt.date | None = None) -> tuple[str, str]:
    """The stored form of a patent number as a person types it, and its country: ``(number, country)``.

    Use it wherever a typed number is looked up among registered patents (``IPAsset.number``):

    - ``"ZL 2017 1060 1862.3"``, ``"cn201710601862.3"``, ``"201710601862.3"`` → ``("ZL201710601862.3", "CN")``
      (Chinese: prefix and dot optional, check digit enforced);
    - ``"US 11,234,567 B2"``, ``"US11234567B2"``, ``"US11234567"`` → ``("US11234567", "US")``;
      ``"EP1234567B1"`` → ``("EP1234567", "EP")``; ``"JP6543210B2"`` → ``("JP6543210", "JP")``;
      ``"KR10-2345678"``, ``"KR102345678B1"`` → ``("KR102345678", "KR")``;
      ``"WO2020/123456"``, ``"WO2020123456A1"`` → ``("WO2020123456", "WO")``
      (foreign: kind codes dropped, separators removed; publication numbers of applications refused);
    - another two-letter prefix (``"DE102015123456B4"``) → that country, the number as typed, compacted.

    Raises ``IdentifierError`` with a Chinese message saying what is wrong (a foreign number needs its
    country prefix here, since no country is given).
    """
    result = check_any_patent_number(raw, today=today)
    return result.number, result.country
