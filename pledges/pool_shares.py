"""The funders' parts of a risk pool's money (``RiskPoolShare``): each payment of a covered case
split by the funders' shares, each recovery's pool share split back by what each funder paid, to the
fen (``split``), and the verifier's checks of both against their chained loan events
(``share_findings``, ``split_findings``). The pool's coverage, breaker and warning are ``pledges.pool``.
"""

from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from core.audit_chain import register_check
from core.money import ZERO, format_money, quantize
from funding import ledger
from funding.models import EntryKind, LedgerEntry

from .audit import record_loan_event
from .models import LoanEvent, LoanStatus, PledgeLoan, Recovery, RiskCompensationClaim
from .models_pool import RiskPoolFunder, RiskPoolShare


def claim_loan(application) -> PledgeLoan | None:
    claim = RiskCompensationClaim.objects.filter(application=application).select_related(
        "loan", "loan__borrower", "loan__risk_pool").first()
    return claim.loan if claim is not None else None



# --- the funders' parts -------------------------------------------------------------------------

def split(amount: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """``amount`` split by ``weights`` (key → weight > 0) to the fen, ROUND_HALF_UP, with the rounding
    remainder on the largest weight (the first key of equals), so the parts sum to ``amount`` exactly."""
    total = sum(weights.values(), Decimal(0))
    parts = {key: quantize(amount * weight / total) for key, weight in weights.items()}
    order = sorted(weights, key=lambda key: (-weights[key], key))
    largest = order[0]
    parts[largest] += amount - sum(parts.values(), ZERO)
    # Many funders each rounding a few fen up can leave the largest part short: the next ones give.
    for key in order[1:]:
        if parts[largest] >= 0:
            break
        give = min(parts[key], -parts[largest])
        parts[key] -= give
        parts[largest] += give
    return parts


def _jsonable(weights: dict[int, Decimal]) -> dict[str, str]:
    return {str(key): str(weight) for key, weight in weights.items()}


def _weights(recorded: dict) -> dict[int, Decimal]:
    return {int(key): Decimal(str(weight)) for key, weight in recorded.items()}


def share_payment(application, amount: Decimal | None, by=None) -> list[RiskPoolShare]:
    """A payment of a covered case, split by the funders' shares (in the payment's transaction)."""
    loan = claim_loan(application)
    if loan is None or loan.risk_pool is None or not amount:
        return []
    funders = dict(loan.risk_pool.funders.order_by("pk").values_list("pk", "share"))
    if not funders:
        return []
    parts = split(amount, funders)
    rows = RiskPoolShare.objects.bulk_create(
        [RiskPoolShare(funder_id=key, application=application, amount=part) for key, part in parts.items()])
    # The chained record of the split: the amount and the shares it was split by (shares change
    # later), from which verify_audit recomputes each part (``split_findings``). Last in the
    # payment's transaction: the loan-event head comes after the transition log and the ledger's.
    record_loan_event(loan, kind="pool_shared", by=by, detail={
        "application": application.pk, "amount": str(amount), "shares": _jsonable(funders)})
    return rows


def share_recovery(recovery: Recovery) -> dict[str, str]:
    """The pool's part of a recovery, split back by what each funder paid on the case; returns the
    weights used (JSON-ready, for the chained ``recovery`` loan event; empty: nothing shared)."""
    loan = recovery.loan
    if loan.risk_pool_id is None or recovery.pool_share <= 0:
        return {}
    paid = dict(RiskPoolShare.objects.filter(application__risk_claim__loan=loan).values("funder_id")
                .annotate(total=Sum("amount")).filter(total__gt=0).order_by("funder_id")
                .values_list("funder_id", "total"))
    weights = paid or dict(RiskPoolFunder.objects.filter(pool_id=loan.risk_pool_id)
                                 .order_by("pk").values_list("pk", "share"))
    if not weights:
        return {}
    parts = split(recovery.pool_share, weights)
    RiskPoolShare.objects.bulk_create(
        [RiskPoolShare(funder_id=key, recovery=recovery, amount=part) for key, part in parts.items()])
    return _jsonable(weights)


def parts_of_loan(loan: PledgeLoan) -> list[dict]:
    """Every funder's part of the loan's compensation and of its recoveries, for the pages and the API.
    Only a defaulted loan is compensated or recovers (no query for the others)."""
    if loan.status not in (LoanStatus.DEFAULTED, LoanStatus.COMPENSATED):
        return []
    rows = (RiskPoolShare.objects.filter(Q(application__risk_claim__loan=loan) | Q(recovery__loan=loan))
            .select_related("funder", "recovery").order_by("funder_id", "id"))
    grouped: dict[int, dict] = {}
    for row in rows:
        paid = {}
        if row.recovery_id is None:  # the compensation: every payment (tranche) of the case together
            key, kind, label = 0, "compensation", _("风险补偿拨付")
        else:
            key, kind, label = row.recovery_id, "recovery", _("追偿回收分回")
            paid = {"recovery": row.recovery_id, "date": row.recovery.date.isoformat()}
        entry = grouped.setdefault(key, {"kind": kind, "label": label, **paid, "amount": ZERO, "by_funder": {}})
        entry["amount"] += row.amount
        part = entry["by_funder"].setdefault(row.funder_id, {"funder": row.funder.name, "share": row.funder.share,
                                                             "amount": ZERO})
        part["amount"] += row.amount
    return [{**{k: v for k, v in grouped[key].items() if k != "by_funder"},
             "parts": list(grouped[key]["by_funder"].values())} for key in sorted(grouped)]


# --- the verifier's check -------------------------------------------------------------------------

def _sums_differ(expected: dict, parts: dict) -> list[tuple[int, Decimal, Decimal]]:
    """(id, expected, parts) where a record's funders' parts do not sum to what it moved, to the fen."""
    out = []
    for pk in sorted(set(expected) | set(parts)):
        a, b = ledger.cents(expected.get(pk)), ledger.cents(parts.get(pk))
        if a != b:
            out.append((pk, a, b))
    return out


def share_findings() -> list[str]:
    """Each payout and recovery of a covered loan whose funders' parts do not sum to its amount (the
    chained payment entries, the chained recovery row): an SQL edit of a part is a finding."""
    paid = dict(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, application__risk_claim__loan__risk_pool__isnull=False)
                .values("application_id").annotate(total=Sum("amount")).values_list("application_id", "total"))
    parts = dict(RiskPoolShare.objects.filter(application__isnull=False).values("application_id")
                 .annotate(total=Sum("amount")).values_list("application_id", "total"))
    returned = dict(Recovery.objects.filter(loan__risk_pool__isnull=False, pool_share__gt=0)
                    .values_list("pk", "pool_share"))
    back = dict(RiskPoolShare.objects.filter(recovery__isnull=False).values("recovery_id")
                .annotate(total=Sum("amount")).values_list("recovery_id", "total"))
    return [_("风险补偿申请 #%(id)s：资金池出资方分担合计 %(parts)s 与拨付合计 %(paid)s 不符，被绕过流程改动")
            % {"id": pk, "parts": format_money(b), "paid": format_money(a)} for pk, a, b in _sums_differ(paid, parts)] \
        + [_("追偿回收 #%(id)s：资金池出资方分回合计 %(parts)s 与分回资金池的 %(share)s 不符，被绕过流程改动")
           % {"id": pk, "parts": format_money(b), "share": format_money(a)} for pk, a, b in _sums_differ(returned, back)]


def split_findings() -> list[str]:
    """Each funder's part of a payout or a recovery against ``split`` of its chained record: the
    ``pool_shared`` loan event (the payment's amount and the shares it was split by) and the
    ``recovery`` loan event (its ``weights``) — so SQL moving money between funders, sums unchanged,
    is a finding. Payouts and recoveries recorded before these events existed are not checked."""
    expected: dict[tuple[str, int], dict[int, Decimal]] = {}
    events = LoanEvent.objects.filter(kind__in=("pool_shared", "recovery")).order_by("id")
    for kind, detail in events.values_list("kind", "detail").iterator(chunk_size=2000):
        if kind == "pool_shared" and isinstance(detail, dict) and detail.get("shares"):
            key, amount, weights = ("application", int(detail["application"])), detail["amount"], detail["shares"]
        elif kind == "recovery" and isinstance(detail, dict) and detail.get("weights"):
            key, amount, weights = ("recovery", int(detail["recovery"])), detail["pool_share"], detail["weights"]
        else:
            continue
        parts = expected.setdefault(key, {})
        for funder, part in split(Decimal(str(amount)), _weights(weights)).items():
            parts[funder] = parts.get(funder, ZERO) + part
    if not expected:
        return []
    actual: dict[tuple[str, int], dict[int, Decimal]] = {}
    rows = (RiskPoolShare.objects.filter(Q(application_id__in=[k[1] for k in expected if k[0] == "application"])
                                         | Q(recovery_id__in=[k[1] for k in expected if k[0] == "recovery"]))
            .values_list("application_id", "recovery_id", "funder_id", "amount"))
    for application_id, recovery_id, funder, amount in rows:
        key = ("application", application_id) if recovery_id is None else ("recovery", recovery_id)
        if key in expected:
            parts = actual.setdefault(key, {})
            parts[funder] = parts.get(funder, ZERO) + amount
    names = dict(RiskPoolFunder.objects.values_list("pk", "name"))
    findings: list[str] = []
    for key in sorted(expected):
        want, have = expected[key], actual.get(key, {})
        for funder in sorted(set(want) | set(have)):
            a, b = ledger.cents(have.get(funder)), ledger.cents(want.get(funder))
            if a == b:
                continue
            values = {"id": key[1], "funder": names.get(funder, f"#{funder}"), "part": format_money(a),
                      "expected": format_money(b)}
            if key[0] == "application":
                findings.append(_("风险补偿申请 #%(id)s：出资方「%(funder)s」分担 %(part)s，按拨付时记录的分担比例应为 "
                                  "%(expected)s，被绕过流程改动") % values)
            else:
                findings.append(_("追偿回收 #%(id)s：出资方「%(funder)s」分回 %(part)s，按回收时记录的分回比例应为 "
                                  "%(expected)s，被绕过流程改动") % values)
    return findings


register_check(share_findings)
register_check(split_findings)
