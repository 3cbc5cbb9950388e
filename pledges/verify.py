"""verify_audit's cross-checks of the pledge rows that are not chained themselves (registered with
``core.audit_chain.register_check``; the risk pool's parts are checked in ``pledges.pool_shares``,
its settings in ``pledges.pool_setup``).

- **Loan facts** (``loan_fact_findings``): the chained ``registered`` loan event records what a
  subsidy or a compensation is computed from besides the chained repayments
  (``pledges.audit.registered_facts``: principal, rate, dates, ``collateral_total``,
  ``insured_or_guaranteed``, each right's valuation). No service changes them later, so the loan
  row and its rights must still say the same.
- **Coverage**: the loan's ``risk_pool`` must be what the last coverage decision says — its
  ``registered`` event, or the ``pool_covered`` event of a pool set up later (``pledges.pool``).
- **LPR**: the one-year LPR of the loan's month as the admin's table held it at registration (in the
  ``registered`` event), or as the admin later added or corrected it (a chained ``lpr`` event on
  each loan judged by that month, ``pledges.lpr``), must be what the table holds now. The LPR table
  is not chained itself (a chain of its own would need a place in ``core.audit_chain.LOCK_ORDER``):
  it is checked through the loans that use it. Limit: a month missing at a loan's registration
  and then inserted by SQL (not the admin) is not caught for that loan.
- **Interest claims** (``interest_claim_findings``): one loan-year is held by one case that is not
  released (rejected or withdrawn), whatever ``InterestSubsidyLoan.live`` says, and a case not
  released holds its rows live — the partial unique index guards only live rows.

Loans registered before these records existed (no such keys in their ``registered`` event, or no
event: bulk-loaded rows) are compared on what their events do record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _

from core.audit_chain import register_check
from core.money import format_money, format_percent
from funding.workflow import RELEASING_STATES

from .interest import lpr_month, month_text
from .models import InterestSubsidyLoan, LoanEvent, LoanPrimeRate, PledgedRight, PledgeLoan
from .pool import COVERAGE_EVENTS

CHUNK = 2000  # loans read at a time
LPR_EVENTS = ("registered", "lpr")
# The loan's facts the ``registered`` event records, and how each is compared and shown.
MONEY, RATE, DATE, MAYBE_MONEY, FLAG = "money", "rate", "date", "maybe_money", "flag"
FACTS = (("principal", MONEY), ("annual_rate", RATE), ("start_date", DATE), ("maturity_date", DATE),
         ("collateral_total", MAYBE_MONEY), ("insured_or_guaranteed", FLAG))


def _value(kind: str, raw):
    """A recorded fact (JSON) or a row's value, as one comparable Python value."""
    if raw is None:
        return None
    if kind in (MONEY, RATE, MAYBE_MONEY):
        return Decimal(str(raw))
    if kind == DATE:
        return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    return bool(raw)


def _shown(kind: str, value) -> str:
    if value is None:
        return _("未报送")
    if kind in (MONEY, MAYBE_MONEY):
        return format_money(value)
    if kind == RATE:
        return format_percent(value)
    if kind == DATE:
        return value.isoformat()
    return _("是") if value else _("否")


def _last(events: list[tuple[str, dict]], kinds: tuple[str, ...], key: str) -> tuple[bool, object]:
    """(found, value) of ``key`` in the last of ``events`` of ``kinds`` that records it."""
    for kind, detail in reversed(events):
        if kind in kinds and isinstance(detail, dict) and key in detail:
            return True, detail[key]
    return False, None


def _loan_findings(loan: PledgeLoan, rights: list[tuple], events: list[tuple[str, dict]],
                   rates: dict[dt.date, Decimal]) -> list[str]:
    head = {"id": loan.pk, "contract": loan.contract_no}
    registered = next((detail for kind, detail in events if kind == "registered" and isinstance(detail, dict)), None)
    if registered is None:
        return []
    findings: list[str] = []
    for field, kind in FACTS:
        if field not in registered:
            continue
        then, now = _value(kind, registered[field]), _value(kind, getattr(loan, field))
        if then != now:
            findings.append(_("贷款 #%(id)s（合同 %(contract)s）：%(field)s为 %(now)s，与登记记录的 %(then)s 不符，"
                              "被绕过流程改动")
                            % {**head, "field": PledgeLoan._meta.get_field(field).verbose_name,
                               "now": _shown(kind, now), "then": _shown(kind, then)})
    if "valuations" in registered:
        then = sorted((str(k), str(n), Decimal(str(v))) for k, n, v in registered["valuations"])
        if then != sorted(rights):
            findings.append(_("贷款 #%(id)s（合同 %(contract)s）：质押的知识产权及其评估价值与登记记录不符，被绕过流程改动")
                            % head)
    found, pool_id = _last(events, COVERAGE_EVENTS, "risk_pool")
    if found and pool_id != loan.risk_pool_id:
        findings.append(_("贷款 #%(id)s（合同 %(contract)s）：是否纳入风险补偿资金池与登记或资金池设立时的记录不符，"
                          "被绕过流程改动") % head)
    found, recorded = _last(events, LPR_EVENTS, "lpr")
    if found:
        # Recorded as missing (the month was not in the table yet) and there now: added around the
        # admin, whose ``lpr_save`` would have recorded it on this loan.
        month = lpr_month(loan.start_date)
        now = rates.get(month)
        then = None if recorded is None else Decimal(str(recorded))
        if now != then:
            findings.append(_("贷款 #%(id)s（合同 %(contract)s）：%(month)s 的 1 年期 LPR 为 %(now)s，与记录的 %(then)s "
                              "不符，被绕过流程改动")
                            % {**head, "month": month_text(month),
                               "now": format_percent(now) if now is not None else _("（缺失）"),
                               "then": format_percent(then) if then is not None else _("（缺失）")})
    return findings


def loan_fact_findings() -> list[str]:
    """Each loan whose row, rights, coverage or LPR disagrees with its chained events (three queries
    per ``CHUNK`` loans, plus the LPR table)."""
    rates = dict(LoanPrimeRate.objects.values_list("month", "one_year"))
    fields = ("pk", "contract_no", "risk_pool_id", *(field for field, _kind in FACTS))
    findings: list[str] = []
    last = 0
    while True:
        loans = list(PledgeLoan.objects.filter(pk__gt=last).order_by("pk").only(*fields)[:CHUNK])
        if not loans:
            return findings
        last = loans[-1].pk
        ids = [loan.pk for loan in loans]
        rights: dict[int, list[tuple]] = defaultdict(list)
        for loan_id, kind, number, valuation in (PledgedRight.objects.filter(loan_id__in=ids)
                                                 .values_list("loan_id", "kind", "number", "valuation")):
            rights[loan_id].append((str(kind), number, valuation))
        events: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        for loan_id, kind, detail in (LoanEvent.objects.filter(loan_id__in=ids, kind__in={*COVERAGE_EVENTS, *LPR_EVENTS})
                                      .order_by("id").values_list("loan_id", "kind", "detail")):
            events[loan_id].append((kind, detail))
        for loan in loans:
            findings += _loan_findings(loan, sorted(rights[loan.pk]), events[loan.pk], rates)


def interest_claim_findings() -> list[str]:
    """A loan-year held by two cases not released, or a case not released whose row was unticked."""
    held = InterestSubsidyLoan.objects.exclude(claim__application__state__in=RELEASING_STATES)
    findings: list[str] = []
    for app_id, loan_id, year in (held.filter(live=False).order_by("claim__application_id", "loan_id")
                                  .values_list("claim__application_id", "loan_id", "year")):
        findings.append(_("申请 #%(id)s 未撤回也未被驳回，其贷款 #%(loan)s %(year)s 年利息的贴息占用却已解除，被绕过流程改动")
                        % {"id": app_id, "loan": loan_id, "year": year})
    twice = (held.values("loan_id", "year").annotate(cases=Count("claim__application_id", distinct=True))
             .filter(cases__gt=1).order_by("loan_id", "year").values_list("loan_id", "year"))
    for loan_id, year in twice:
        cases = sorted(set(held.filter(loan_id=loan_id, year=year).values_list("claim__application_id", flat=True)))
        findings.append(_("贷款 #%(loan)s 的 %(year)s 年利息同时由申请 %(cases)s 贴息，被绕过流程改动")
                        % {"loan": loan_id, "year": year, "cases": "、".join(f"#{pk}" for pk in cases)})
    return findings


register_check(loan_fact_findings)
register_check(interest_claim_findings)
