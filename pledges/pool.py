"""The risk pool (风险补偿资金池) of a region: which loans it covers, when it stops compensating, and
how its funders share what it pays and what comes back (``models_pool``).

- **Coverage (leverage, 放大倍数)**, decided once, at registration (``cover_new_loan``): a loan is
  covered (``PledgeLoan.risk_pool``) when the *outstanding principal* of the pool's live covered
  loans (active or defaulted; a defaulted loan counts at its outstanding at default until it is
  compensated) plus this loan's principal stays within ``leverage`` × the pool's size (the sum of
  the funders' contributions). Outstanding, not principal: repayments free room, as the pool's
  exposure falls. Otherwise the loan is registered uncovered (``NOT_COVERED``). A region without a
  pool covers every loan implicitly, as before pools existed. A pool set up later covers the
  region's live loans with nothing paid on them yet, oldest first, while they fit (``pool_save``).
- **Loss ratio** = compensation committed or paid on the pool's loans (the ledger's committed +
  paid of their risk-compensation cases) ÷ the principal of every loan the pool ever covered
  (cancelled registrations excepted, and loans that never really ran: settled less than
  ``SHORT_LOAN_DAYS`` days after their *registration* — ``base_loans``). Recoveries do not lower it.
  The short loans are left out so a bank cannot dilute the breaker by registering a large covered
  loan and settling it at once (its leverage room came back at once, so the pool never bore its
  risk); the registration date, not the start date the bank reports, so a backdated start does not
  help. Live and defaulted loans always count.
- **Circuit breaker (熔断)**: the case is opened at default all the same (the bank and the fin_center
  see it, and why); its approval is refused under the locks — 409 ``loan_not_covered`` for a loan the
  region's pool does not cover, 409 ``pool_breaker_tripped`` when the ratio is at or above
  ``loss_breaker`` (``refuse_compensation``, also run by the page's confirmation step).
- **Warning (预警)**: the change that takes the ratio to ``loss_warning`` (or to ``loss_breaker``) or
  above posts one inbox message to the region's fin_center and finance users; nothing more until the
  ratio has fallen below and crosses again. Stateless: every change that raises the ratio (an
  approval, a cancellation, a short loan's settlement) holds the pool lock and compares the ratio
  before and after itself.
- **Funders** (``pledges.pool_shares``): each payment of a covered case is split into ``RiskPoolShare`` rows by the funders'
  shares; each recovery's ``pool_share`` by what each funder paid on that case (so by the shares in
  force when it paid). To the fen, ROUND_HALF_UP, the rounding remainder on the largest share, so
  the parts sum to the amount exactly — which ``verify_audit`` checks (``share_findings``). The
  split itself is chained: each payment writes a ``pool_shared`` loan event (the amount and the
  shares used; shares change later) and each recovery's ``recovery`` event carries its weights, and
  ``split_findings`` recomputes every part with ``split`` from them — the parts are not chained
  rows, and a ``share`` column on them would be as easy to rewrite as the amounts (so no migration).
- **Coverage is chained** too: the ``registered`` event records the pool (or None) and why
  (``COVERED``, ``OVER_LEVERAGE``, ``NO_POOL``), a pool set up later writes ``pool_covered`` on each
  loan it adopts, and ``pledges.verify`` compares ``risk_pool`` with the last of them.
- **Settings are chained**: each ``pool_save`` records the pool as it leaves it (leverage, breaker,
  warning, funders' shares and contributions: ``RiskPoolChange``), and ``pool_setup`` compares every
  pool with its last record (``pool_setting_findings``).

Lock order (docs/architecture.md): application → applicant → loan → **risk pool** → budget → audit
chain heads. Registration locks the pool before the new loan row exists; the transitions of a risk
case lock it right after the loan (``RiskCompensationHandler.lock_related``); a cancellation or a
short loan's settlement after the loan; ``pool_save`` (the admin) takes only the pool (a new pool, which no one else can see yet,
then marks the loans it adopts). Recoveries write shares without it (they
follow the case's payout parts, which no one else changes).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Role, User
from core import inbox
from core.errors import Conflict
from core.money import ZERO, format_money, format_percent, quantize
from funding import ledger
from funding.models import LedgerEntry

from .models import LIVE_STATUSES, LoanStatus, PledgeLoan
from .models_pool import RiskPool, RiskPoolShare
from .pool_shares import claim_loan

MAX_LEVERAGE = Decimal("9999.99")  # the column: 6 digits, 2 places
SHORT_LOAN_DAYS = 30  # a covered loan settled sooner after its registration is not in the loss ratio's base
RATIO_SHOWN = Decimal("0.0001")  # a ratio is shown to 0.01 %, truncated: it never shows a threshold it has not reached


def not_covered_note() -> str:
    return _("超出资金池放大倍数，未纳入风险补偿")


# --- the pool's figures --------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolStatus:
    pool: RiskPool
    size: Decimal  # Σ contributions
    covered_outstanding: Decimal  # live covered loans' outstanding principal
    covered_principal: Decimal  # every loan ever covered (not cancelled)
    compensation: Decimal  # committed + paid on the covered loans' cases

    @property
    def capacity(self) -> Decimal:
        return quantize(self.pool.leverage * self.size)

    @property
    def room(self) -> Decimal:
        return max(ZERO, self.capacity - self.covered_outstanding)

    @property
    def loss_ratio(self) -> Decimal:
        return ratio(self.compensation, self.covered_principal)

    @property
    def level(self) -> int:
        return level_of(self.pool, self.loss_ratio)


def ratio(compensation: Decimal, principal: Decimal) -> Decimal:
    return compensation / principal if principal > 0 else Decimal(0)


def level_of(pool: RiskPool, loss_ratio: Decimal) -> int:
    """0 below the warning, 1 at or above it, 2 at or above the breaker."""
    if loss_ratio >= pool.loss_breaker:
        return 2
    return 1 if loss_ratio >= pool.loss_warning else 0


def shown(loss_ratio: Decimal) -> str:
    return format_percent(loss_ratio.quantize(RATIO_SHOWN, rounding=ROUND_DOWN))


def pool_size(pool: RiskPool) -> Decimal:
    return ledger.cents(pool.funders.aggregate(total=Coalesce(Sum("contribution"), ZERO))["total"])


def _covered_outstanding(pool_id: int) -> Decimal:
    return ledger.cents(PledgeLoan.objects.filter(risk_pool_id=pool_id, status__in=LIVE_STATUSES)
                        .aggregate(total=Coalesce(Sum("outstanding_principal"), ZERO))["total"])


def _compensation(pool_id: int) -> Decimal:
    annotations = ledger.figure_annotations()
    row = LedgerEntry.objects.filter(application__risk_claim__loan__risk_pool_id=pool_id).aggregate(
        committed=annotations["fig_committed"], paid=annotations["fig_disbursed"])
    return ledger.cents(row["committed"]) + ledger.cents(row["paid"])


def base_loans(pool_id: int):
    """The loans in the loss ratio's base: covered by the pool, not cancelled, and not settled less
    than ``SHORT_LOAN_DAYS`` after the day they were registered (they never really ran)."""
    ran = ExpressionWrapper(F("settled_on") - TruncDate("created_at"), output_field=DurationField())
    return (PledgeLoan.objects.filter(risk_pool_id=pool_id).exclude(status=LoanStatus.CANCELLED)
            .alias(ran=ran).exclude(status=LoanStatus.SETTLED, ran__lt=dt.timedelta(days=SHORT_LOAN_DAYS)))


def in_base(loan: PledgeLoan) -> bool:
    """``base_loans`` for one loan in memory."""
    if loan.risk_pool_id is None or loan.status == LoanStatus.CANCELLED:
        return False
    if loan.status != LoanStatus.SETTLED or loan.settled_on is None:
        return True
    registered = timezone.localdate(loan.created_at) if loan.created_at else timezone.localdate()
    return (loan.settled_on - registered).days >= SHORT_LOAN_DAYS


def status_of(pool: RiskPool) -> PoolStatus:
    principal = base_loans(pool.pk).aggregate(total=Coalesce(Sum("principal"), ZERO))["total"]
    return PoolStatus(pool=pool, size=pool_size(pool), covered_outstanding=_covered_outstanding(pool.pk),
                      covered_principal=ledger.cents(principal), compensation=_compensation(pool.pk))


def pool_of_region(region_id: int | None) -> RiskPool | None:
    return RiskPool.objects.filter(region_id=region_id).first() if region_id else None


def _lock(pool_id: int | None) -> RiskPool | None:
    return RiskPool.objects.select_for_update().filter(pk=pool_id).first() if pool_id else None


def lock_pools_of(loans) -> None:
    """The pools of ``loans`` (already locked), row-locked: loan → pool → budget."""
    for pool_id in sorted({loan.risk_pool_id for loan in loans if loan.risk_pool_id}):
        _lock(pool_id)


# --- coverage at registration --------------------------------------------------------------------

# Why a loan is covered or not, as its chained loan events record it (``registered``: decided at
# registration; ``pool_covered``: adopted by a pool set up later). verify_audit compares the loan's
# ``risk_pool`` with the last of them (``pledges.verify``).
COVERED, OVER_LEVERAGE, NO_POOL, POOL_SET_UP = "covered", "over_leverage", "no_pool", "pool_set_up"
COVERAGE_EVENTS = ("registered", "pool_covered")


def cover_new_loan(borrower, principal: Decimal) -> tuple[RiskPool | None, str]:
    """The pool covering a loan being registered, or None, and why (``COVERED``, ``OVER_LEVERAGE``,
    ``NO_POOL``): the borrower's county pool, locked (the first lock of the registration), when the
    loan fits under its leverage; None also without a pool (the loan is then covered implicitly, as
    before pools existed — ``coverage_of``)."""
    pool = RiskPool.objects.select_for_update().filter(region_id=borrower.region_id).first()
    if pool is None:
        return None, NO_POOL
    capacity = quantize(pool.leverage * pool_size(pool))
    if _covered_outstanding(pool.pk) + principal <= capacity:
        return pool, COVERED
    return None, OVER_LEVERAGE


@dataclass(frozen=True)
class Coverage:
    pool: RiskPool | None  # the region's pool (None: the region has none)
    covered: bool  # compensated if it defaults (subject to the breaker)
    note: str  # why not, for people

    def as_json(self) -> dict:
        return {"pool": self.pool.name if self.pool else None, "covered": self.covered, "note": self.note}


def coverage_of(loan: PledgeLoan) -> Coverage:
    if loan.risk_pool_id:
        return coverage_from(own_pool=loan.risk_pool, region_pool=None)
    return coverage_from(own_pool=None, region_pool=pool_of_region(loan.borrower.region_id))


def coverage_from(*, own_pool, region_pool) -> Coverage:
    """The rule on pools already read (anything with a ``name``; the API's reader reads them with the
    loan): the loan's own pool covers it; with none, a region that has a pool did not take it in."""
    if own_pool is not None:
        return Coverage(pool=own_pool, covered=True, note="")
    if region_pool is None:
        return Coverage(pool=None, covered=True, note="")
    return Coverage(pool=region_pool, covered=False, note=not_covered_note())


# --- the breaker, and the warning ------------------------------------------------------------------

def refuse_compensation(application) -> None:
    """409 when the pool does not compensate this case now: its loan is not covered by the region's
    pool (``loan_not_covered``), or the pool's loss ratio has reached the breaker
    (``pool_breaker_tripped``). Under the pool lock at approval; without locks on the page."""
    loan = claim_loan(application)
    if loan is None:
        return
    coverage = coverage_of(loan)
    if not coverage.covered:
        raise Conflict(_("贷款 %(contract)s 登记时%(note)s（资金池「%(pool)s」），不予补偿")
                       % {"contract": loan.contract_no, "note": coverage.note, "pool": coverage.pool.name},
                       code="loan_not_covered")
    if loan.risk_pool is None:
        return
    status = status_of(loan.risk_pool)
    if status.level >= 2:
        raise Conflict(_("风险补偿资金池「%(pool)s」损失率 %(ratio)s 已达熔断线 %(breaker)s，新违约不予补偿")
                       % {"pool": loan.risk_pool.name, "ratio": shown(status.loss_ratio),
                          "breaker": format_percent(loan.risk_pool.loss_breaker)}, code="pool_breaker_tripped")


def status_lines(application) -> list[str]:
    """The case page's lines on the pool: coverage, the loss ratio against its thresholds, the split."""
    loan = claim_loan(application)
    if loan is None:
        return []
    coverage = coverage_of(loan)
    if coverage.pool is None:
        return []
    if not coverage.covered:
        return [_("本笔贷款未纳入风险补偿资金池「%(pool)s」（%(note)s），不予补偿")
                % {"pool": coverage.pool.name, "note": coverage.note}]
    status = status_of(loan.risk_pool)
    lines = [_("本笔贷款纳入「%(pool)s」：资金池损失率 %(ratio)s（预警线 %(warning)s，熔断线 %(breaker)s）")
             % {"pool": loan.risk_pool.name, "ratio": shown(status.loss_ratio),
                "warning": format_percent(loan.risk_pool.loss_warning),
                "breaker": format_percent(loan.risk_pool.loss_breaker)}]
    parts = [f"{name} {format_money(amount)}" for name, amount in
             RiskPoolShare.objects.filter(application=application).values("funder__name")
             .annotate(total=Sum("amount")).order_by("funder_id").values_list("funder__name", "total")]
    if parts:
        lines.append(_("出资方分担：%(parts)s") % {"parts": "，".join(parts)})
    return lines


def warning_text(status: PoolStatus) -> str | None:
    """The banner or message for a pool at or above its warning; None below it."""
    pool, level = status.pool, status.level
    values = {"pool": pool.name, "ratio": shown(status.loss_ratio), "warning": format_percent(pool.loss_warning),
              "breaker": format_percent(pool.loss_breaker)}
    if level >= 2:
        return _("风险补偿资金池「%(pool)s」损失率 %(ratio)s，已达熔断线 %(breaker)s：新违约不予补偿") % values
    if level == 1:
        return _("风险补偿资金池「%(pool)s」损失率 %(ratio)s，已达预警线 %(warning)s（熔断线 %(breaker)s）") % values
    return None


def banner_for(user: User) -> str | None:
    """The warning banner for fin_center, finance and admin staff of a region whose pool is at or
    above its warning."""
    if not user.has_role(Role.FIN_CENTER, Role.FINANCE, Role.ADMIN):
        return None
    pool = pool_of_region(user.region_id)
    return warning_text(status_of(pool)) if pool is not None else None


def _warn_if_crossed(pool: RiskPool, before: Decimal, status: PoolStatus) -> int:
    """One message per fin_center and finance user of the region when the ratio crossed a threshold
    upwards in this change (the caller holds the pool lock); returns how many were posted."""
    if status.level <= level_of(pool, before):
        return 0
    users = User.objects.filter(groups__name__in=[Role.FIN_CENTER, Role.FINANCE], is_active=True,
                                region_id=pool.region_id)
    return inbox.post(user_ids=users.values_list("pk", flat=True), text=warning_text(status) or "",
                      link=reverse("pledges:loan_list"))


def after_approval(application, amount: Decimal | None) -> None:
    """The approval just committed ``amount`` (the pool is locked): warn if it crossed a threshold."""
    loan = claim_loan(application)
    if loan is None or loan.risk_pool is None or not amount:
        return
    status = status_of(loan.risk_pool)
    _warn_if_crossed(loan.risk_pool, ratio(status.compensation - amount, status.covered_principal), status)


def after_settle(loan: PledgeLoan) -> None:
    """A covered loan was just settled: when it leaves the ratio's base (a short loan), the ratio
    rises. Locks the pool (after the loan) and warns if that crossed a threshold."""
    if loan.risk_pool_id is None or in_base(loan):
        return
    pool = _lock(loan.risk_pool_id)
    if pool is None:
        return
    status = status_of(pool)
    _warn_if_crossed(pool, ratio(status.compensation, status.covered_principal + loan.principal), status)


def after_cancel(loan: PledgeLoan) -> None:
    """A covered loan's registration was just cancelled: its principal leaves the ratio's base, which
    raises the ratio. Locks the pool (after the loan) and warns if that crossed a threshold."""
    pool = _lock(loan.risk_pool_id)
    if pool is None:
        return
    status = status_of(pool)
    _warn_if_crossed(pool, ratio(status.compensation, status.covered_principal + loan.principal), status)


# The admin's service lives beside this module (one import for the callers).
from .pool_setup import (  # noqa: E402,F401
    check_removals,
    check_untampered,
    clean_funders,
    clean_pool,
    pool_save,
    state_summary,
)
