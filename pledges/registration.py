"""Registering a bank's pledge loan: every field's rule, the borrower, and who owns the rights."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from applicants.models import Applicant, Bank, IPAsset, User
from core.errors import Conflict, Invalid
from core.money import format_money

from .audit import registered_facts
from .common import _bank_of, _event
from .models import PledgedRight, PledgeLoan
from .pool import cover_new_loan
from .validation import (
    MAX_TERM_YEARS,
    Errors,
    RightData,
    parse_credit_code,
    parse_date,
    parse_flag,
    parse_money,
    parse_optional_money,
    parse_rate,
    parse_registration_no,
    parse_rights,
    parse_text,
    years_after,
)


def _live_pledges_of(rights: list[RightData]) -> list[str]:
    """Numbers among ``rights`` already under a live pledge (one query)."""
    query = Q()
    for right in rights:
        query |= Q(kind=right.kind, number=right.number)
    taken = PledgedRight.objects.filter(query, live=True).values_list("number", flat=True)
    return sorted(set(taken))


def _owned_by_others(rights: list[RightData], borrower: Applicant) -> list[tuple[RightData, int]]:
    """(right, asset id) for each right; Conflict when a registered right belongs to someone else."""
    query = Q()
    for right in rights:
        query |= Q(kind=right.kind, number=right.number)
    assets = {(kind, number): (pk, owner) for kind, number, pk, owner
              in IPAsset.objects.filter(query).values_list("kind", "number", "pk", "owner_id")}
    foreign = [r.number for r in rights if (r.kind, r.number) in assets and assets[(r.kind, r.number)][1] != borrower.pk]
    if foreign:
        raise Conflict(_("%(numbers)s 已登记的权利人不是借款企业 %(name)s，不能为其质押")
                       % {"numbers": "、".join(foreign), "name": borrower.name}, code="right_owned_by_other")
    return [(r, assets.get((r.kind, r.number), (None, None))[0]) for r in rights]


def _already_pledged(numbers: list[str]) -> Conflict:
    return Conflict(
        _("%(numbers)s 已在其他有效质押贷款中质押，须先结清或撤销该贷款") % {"numbers": "、".join(numbers)},
        code="right_already_pledged",
    )


def _duplicate_contract(contract_no: str) -> Conflict:
    return Conflict(_("本行已登记合同编号为 %(no)s 的贷款") % {"no": contract_no}, code="duplicate_contract")


# --- registration ----------------------------------------------------------------------

def _clean_registration(data: dict) -> dict:
    """Every field's rule at once, so a bank sees all its errors in one 400."""
    errors = Errors()
    clean = {
        "contract_no": parse_text(errors, "contract_no", data.get("contract_no"), max_length=60, required=True,
                                  label=_("合同编号")),
        "borrower_name": parse_text(errors, "borrower_name", data.get("borrower_name"), max_length=100),
        "credit_code": parse_credit_code(errors, "borrower_credit_code", data.get("borrower_credit_code")),
        "principal": parse_money(errors, "principal", data.get("principal")),
        "annual_rate": parse_rate(errors, "annual_rate", data.get("annual_rate")),
        "start_date": parse_date(errors, "start_date", data.get("start_date")),
        "maturity_date": parse_date(errors, "maturity_date", data.get("maturity_date")),
        "registration_no": parse_registration_no(errors, "pledge_registration_no", data.get("pledge_registration_no")),
        "rights": parse_rights(errors, "rights", data.get("rights")),
        "collateral_total": parse_optional_money(errors, "collateral_total", data.get("collateral_total")),
        "insured_or_guaranteed": parse_flag(errors, "insured_or_guaranteed", data.get("insured_or_guaranteed")),
    }
    _check_collateral(errors, clean["collateral_total"], clean["rights"])
    start, maturity = clean["start_date"], clean["maturity_date"]
    if start and maturity and maturity <= start:
        errors.add("maturity_date", _("到期日应晚于放款日（%(start)s）") % {"start": start})
    elif start and maturity and maturity > years_after(start, MAX_TERM_YEARS):
        errors.add("maturity_date", _("贷款期限最长 %(n)d 年：到期日不能晚于 %(last)s")
                   % {"n": MAX_TERM_YEARS, "last": years_after(start, MAX_TERM_YEARS).isoformat()})
    errors.raise_if_any()
    return clean


def _check_collateral(errors: Errors, total: Decimal | None, rights: list[RightData]) -> None:
    """Mixed collateral: the total value of everything pledged is at least the IP's valuation."""
    valuation = sum((right.valuation for right in rights), Decimal("0.00"))
    if total is not None and rights and total < valuation:
        errors.add("collateral_total", _("抵质押物总价值 %(total)s 不能低于所质押知识产权的评估价值合计 %(ip)s")
                   % {"total": format_money(total), "ip": format_money(valuation)})


def _borrower(credit_code: str, name: str, bank: Bank) -> Applicant:
    borrower = Applicant.objects.filter(credit_code=credit_code).first()
    if borrower is not None:
        return borrower
    if not name:
        raise Invalid(_("统一社会信用代码 %(code)s 尚未登记，请同时提供企业名称") % {"code": credit_code},
                      field="borrower_name")
    borrower, _created = Applicant.objects.get_or_create(
        credit_code=credit_code,
        defaults={"name": name, "region_id": bank.region_id, "kind": Applicant.Kind.ENTERPRISE},
    )
    return borrower


def loan_register(*, by: User, contract_no: str | None = None, borrower_credit_code: str | None = None,
                  principal: Decimal | str | None = None, annual_rate: Decimal | str | None = None,
                  start_date: dt.date | str | None = None, maturity_date: dt.date | str | None = None,
                  pledge_registration_no: str | None = None, rights: list[dict] | None = None,
                  borrower_name: str | None = None, collateral_total: Decimal | str | None = None,
                  insured_or_guaranteed: bool | str | None = None) -> PledgeLoan:
    """Register a bank's pledge loan with its rights; the rights become pledged (409 if one already is).

    Values arrive typed from the input serializer (or as the strings a bank sends); the rules of
    each field (check digits, windows, term) are applied here, where every caller meets them.
    """
    bank = _bank_of(by)
    clean = _clean_registration({
        "contract_no": contract_no, "borrower_credit_code": borrower_credit_code, "borrower_name": borrower_name,
        "principal": principal, "annual_rate": annual_rate, "start_date": start_date, "maturity_date": maturity_date,
        "pledge_registration_no": pledge_registration_no, "rights": rights,
        "collateral_total": collateral_total, "insured_or_guaranteed": insured_or_guaranteed,
    })
    rights: list[RightData] = clean["rights"]
    try:
        return _registered(by, bank, clean, rights)
    except _RightTakenMeanwhile:
        raise _already_pledged(_live_pledges_of(rights) or [r.number for r in rights]) from None


class _RightTakenMeanwhile(Exception):
    pass


def _registered(by: User, bank: Bank, clean: dict, rights: list[RightData]) -> PledgeLoan:
    with transaction.atomic():
        borrower = _borrower(clean["credit_code"], clean["borrower_name"], bank)
        if PledgeLoan.objects.filter(bank=bank, contract_no=clean["contract_no"]).exists():
            raise _duplicate_contract(clean["contract_no"])
        owned = _owned_by_others(rights, borrower)
        taken = _live_pledges_of(rights)
        if taken:
            raise _already_pledged(taken)
        risk_pool, coverage = cover_new_loan(borrower, clean["principal"])  # locks the pool: leverage (pledges.pool)
        try:
            # No savepoint: a duplicate contract ends the whole registration (the 409 rolls it back; an
            # idempotent call's own savepoint keeps its record), so nothing runs after the error here.
            with transaction.atomic(savepoint=False):
                loan = PledgeLoan.objects.create(
                    bank=bank, borrower=borrower, contract_no=clean["contract_no"], principal=clean["principal"],
                    annual_rate=clean["annual_rate"], start_date=clean["start_date"],
                    maturity_date=clean["maturity_date"], pledge_registration_no=clean["registration_no"],
                    outstanding_principal=clean["principal"], created_by=by,
                    collateral_total=clean["collateral_total"], insured_or_guaranteed=clean["insured_or_guaranteed"],
                    risk_pool=risk_pool,
                )
        except IntegrityError:
            raise _duplicate_contract(clean["contract_no"]) from None
        try:
            with transaction.atomic(savepoint=False):
                PledgedRight.objects.bulk_create([
                    PledgedRight(loan=loan, kind=r.kind, number=r.number, valuation=r.valuation, ip_asset_id=asset)
                    for r, asset in owned
                ])
        except IntegrityError:
            # A concurrent registration won the partial unique index for one of the rights: which one is
            # asked after the rollback (a savepoint here, for this rare case, cost every registration
            # two round trips).
            raise _RightTakenMeanwhile from None
        # The chained record of the facts a subsidy or a compensation is decided by (verify_audit
        # compares the loan row with it: pledges.verify) and of the coverage decision.
        _event(loan, "registered", by, principal=str(loan.principal), rights=[r.number for r in rights],
               **registered_facts(loan, rights, coverage))
    return loan


def refuse_right_pledged_for_another(kind: str, number: str, owner) -> None:
    """A guard of ``applicants.services.ip_asset_register``: a right under a live pledge for one
    borrower cannot then be registered as another enterprise's (409 ``right_pledged_by_other``)."""
    pledged_for = (PledgedRight.objects.filter(kind=kind, number=number, live=True)
                   .values_list("loan__borrower_id", "loan__contract_no").first())
    if pledged_for is not None and pledged_for[0] != owner.pk:
        raise Conflict(_("%(n)s 正在另一借款企业的有效质押贷款（合同 %(c)s）中质押，不能登记为本企业所有")
                       % {"n": number, "c": pledged_for[1]}, code="right_pledged_by_other")
