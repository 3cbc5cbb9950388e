"""The admin's service for a region's risk pool (``pool_save``): its values and funders validated
and saved in one transaction under the pool's lock, and a new pool adopting the region's live loans
(``pledges.pool`` holds the pool's figures, coverage and breaker, and re-exports these;
``pledges.pool_shares`` the funders' parts).

The settings are rules, corrected in place, so each save chains the pool as it leaves it (a
``RiskPoolChange``: name, leverage, breaker, warning, each funder's share and contribution), and
``pool_setting_findings`` compares every pool with its last record: a breaker raised with SQL before
an approval, a share moved between funders, a pool inserted around the admin are findings of
``verify_audit``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from applicants.models import Region, Role, User
from core.audit_chain import register_check, ticket_valid
from core.errors import Conflict, Invalid, NotAllowed
from core.money import ONE, ZERO, format_money, format_percent, parse_fraction, parse_money, quantize
from core.text import clean_text

from .audit import POOL_CHANGE_CHAIN, record_loan_event, record_pool_change
from .models import LIVE_STATUSES, PledgeLoan
from .models_pool import RiskPool, RiskPoolChange, RiskPoolFunder
from .pool import MAX_LEVERAGE, POOL_SET_UP, _lock, pool_size  # the figures the service builds on


def clean_pool(*, name, leverage, loss_breaker, loss_warning) -> dict:
    """The pool's own values, every error at once (``Invalid`` with ``errors`` by field)."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for field, parse in (
        ("name", lambda v: clean_text(v, "name", max_length=100, required=True, label=_("名称"))),
        ("leverage", lambda v: parse_fraction(v, "leverage", places=2, low=ZERO, high=MAX_LEVERAGE, low_open=True,
                                              what=_("放大倍数"))),
        ("loss_breaker", lambda v: parse_fraction(v, "loss_breaker", low=ZERO, high=ONE, low_open=True,
                                                  what=_("熔断损失率"))),
        ("loss_warning", lambda v: parse_fraction(v, "loss_warning", low=ZERO, high=ONE, low_open=True,
                                                  what=_("预警损失率"))),
    ):
        try:
            clean[field] = parse({"name": name, "leverage": leverage, "loss_breaker": loss_breaker,
                                  "loss_warning": loss_warning}[field])
        except Invalid as exc:
            errors.setdefault(field, []).append(exc.message)
    if "loss_breaker" in clean and "loss_warning" in clean and clean["loss_warning"] > clean["loss_breaker"]:
        errors.setdefault("loss_warning", []).append(
            _("预警损失率 %(w)s 不能高于熔断损失率 %(b)s")
            % {"w": format_percent(clean["loss_warning"]), "b": format_percent(clean["loss_breaker"])})
    if errors:
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    return clean


def clean_funders(funders: list[dict]) -> list[dict]:
    """The funders a pool keeps: at least one, names unique, shares > 0 summing to exactly 100%,
    contributions ≥ 0 (``Invalid`` naming the row: ``funders.<i>.<field>``, or ``funders``)."""
    errors: dict[str, list[str]] = {}
    clean: list[dict] = []
    if not funders:
        raise Invalid(_("资金池至少应有一个出资方"), field="funders")
    for i, row in enumerate(funders):
        item = {"id": row.get("id")}
        for field, parse in (
            ("name", lambda v: clean_text(v, "name", max_length=100, required=True, label=_("出资方"))),
            ("share", lambda v: parse_fraction(v, "share", low=ZERO, high=ONE, low_open=True, what=_("分担比例"))),
            ("contribution", lambda v: parse_money(v, "contribution", allow_zero=True)),
        ):
            try:
                item[field] = parse(row.get(field))
            except Invalid as exc:
                errors.setdefault(f"funders.{i}.{field}", []).append(exc.message)
        clean.append(item)
    names = [item.get("name") for item in clean if item.get("name")]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.setdefault("funders", []).append(_("出资方「%(name)s」重复列出") % {"name": name})
    if not errors:
        total = sum((item["share"] for item in clean), ZERO)
        if total != ONE:
            errors["funders"] = [_("各出资方分担比例之和应为 100%%，现为 %(total)s") % {"total": format_percent(total)}]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    return clean


def check_removals(pool_id: int | None, kept_ids: set[int]) -> list[RiskPoolFunder]:
    """The funders a change removes; Conflict when one already holds parts of a payout or recovery."""
    if not pool_id:
        return []
    removed = list(RiskPoolFunder.objects.filter(pool_id=pool_id).exclude(pk__in=kept_ids))
    holding = [f.name for f in removed if f.parts.exists()]
    if holding:
        raise Conflict(_("出资方「%(names)s」已有补偿或回收分担记录，不能删除（可改分担比例）")
                       % {"names": "、".join(holding)}, code="funder_has_shares")
    return removed


def pool_save(*, by: User, region: Region, name, leverage, loss_breaker, loss_warning, funders: list[dict],
              pool_id: int | None = None) -> RiskPool:
    """Create or change a region's risk pool and its funders, in one transaction, the pool row locked.

    ``funders``: every funder the pool keeps, ``{"id" (None for a new one), "name", "share",
    "contribution"}``; a funder left out is removed (409 ``funder_has_shares`` once it holds parts).
    Shares change future splits only: recoveries follow what each funder paid. A new pool covers the
    region's live loans with nothing paid on them yet, oldest first, while they fit its leverage."""
    if not (getattr(by, "is_superuser", False) or by.has_role(Role.ADMIN)):
        raise NotAllowed(_("只有资金管理员可以设置风险补偿资金池"))
    values = clean_pool(name=name, leverage=leverage, loss_breaker=loss_breaker, loss_warning=loss_warning)
    rows = clean_funders(funders)
    with transaction.atomic():
        pool = _lock(pool_id)
        if pool_id and pool is None:
            raise Invalid(_("资金池不存在"), field="pool")
        created = pool is None
        check_untampered(pool_id)
        if created:
            exists = Conflict(_("%(region)s已设立风险补偿资金池") % {"region": region.name}, code="pool_exists")
            if RiskPool.objects.filter(region=region).exists():
                raise exists
            try:
                with transaction.atomic():
                    pool = RiskPool.objects.create(region=region, **values)
            except IntegrityError:  # set up at the same moment by someone else
                raise exists from None
        else:
            for field, value in values.items():
                setattr(pool, field, value)
            pool.save()
        kept = {row["id"] for row in rows if row.get("id")}
        if RiskPoolFunder.objects.filter(pk__in=kept, pool=pool).count() != len(kept):
            raise Invalid(_("所列出资方不属于该资金池，请刷新后重试"), field="funders")
        RiskPoolFunder.objects.filter(pk__in=[f.pk for f in check_removals(pool.pk, kept)]).delete()
        # Renames may swap names between rows: clear them first so the unique (pool, name) never trips.
        RiskPoolFunder.objects.filter(pool=pool, pk__in=kept).update(
            name=Concat(Value("#"), Cast("id", CharField())))
        for row in rows:
            fields = {"name": row["name"], "share": row["share"], "contribution": row["contribution"]}
            if row.get("id"):
                RiskPoolFunder.objects.filter(pk=row["id"], pool=pool).update(**fields)
            else:
                RiskPoolFunder.objects.create(pool=pool, **fields)
        record_pool_change(pool.pk, state=states_of([pool.pk])[pool.pk], by=by)
        if created:
            _cover_existing(pool, by)
    return pool


def _cover_existing(pool: RiskPool, by: User | None = None) -> int:
    """A new pool covers the region's live loans whose cases have nothing paid yet, oldest first,
    while they fit its leverage. The pool is new, so no one else can lock it (or wait on it) before
    this commits: updating the loans after it inverts no lock order. Each loan it covers gets a
    chained ``pool_covered`` event (what verify_audit compares its ``risk_pool`` with), written in
    the order of the banks' chain streams."""
    capacity = quantize(pool.leverage * pool_size(pool))
    used = ZERO
    covered = []
    candidates = (PledgeLoan.objects
                  .filter(borrower__region_id=pool.region_id, status__in=LIVE_STATUSES, risk_pool__isnull=True)
                  .exclude(risk_claim__application__disbursed_amount__gt=0).order_by("id"))
    for loan in candidates:
        if used + loan.outstanding_principal <= capacity:
            used += loan.outstanding_principal
            covered.append(loan.pk)
    count = PledgeLoan.objects.filter(pk__in=covered).update(risk_pool=pool)
    loans = sorted(PledgeLoan.objects.filter(pk__in=covered), key=lambda loan: (str(loan.bank_id), loan.pk))
    for loan in loans:
        record_loan_event(loan, kind="pool_covered", by=by, detail={"risk_pool": pool.pk, "coverage": POOL_SET_UP})
    return count


# --- the chained settings ----------------------------------------------------------------------

POOL_FIELDS = ("name", "leverage", "loss_breaker", "loss_warning")
FUNDER_FIELDS = ("name", "share", "contribution")


def states_of(pool_ids=None) -> dict[int, dict]:
    """Each pool's settings as stored (all pools when ``pool_ids`` is None), in the chained form:
    decimals as their stored text, funders by id (two queries)."""
    pools = RiskPool.objects.all() if pool_ids is None else RiskPool.objects.filter(pk__in=pool_ids)
    states = {row["pk"]: {**{f: str(row[f]) for f in POOL_FIELDS}, "funders": []}
              for row in pools.values("pk", *POOL_FIELDS)}
    for row in RiskPoolFunder.objects.filter(pool_id__in=list(states)).order_by("pk").values("pk", "pool_id",
                                                                                            *FUNDER_FIELDS):
        states[row["pool_id"]]["funders"].append({"id": row["pk"], **{f: str(row[f]) for f in FUNDER_FIELDS}})
    return states


def _shown(field: str, text) -> str:
    """A recorded or stored value as people read it (a record edited into nonsense: as it is)."""
    if text is None:
        return _("（无）")
    try:
        if field in ("loss_breaker", "loss_warning", "share"):
            return format_percent(Decimal(str(text)))
        if field == "contribution":
            return format_money(Decimal(str(text)))
    except ArithmeticError:
        return f"「{text}」"
    if field == "leverage":
        return _("%(x)s 倍") % {"x": text}
    return f"「{text}」"


def _differences(then: dict, now: dict) -> list[str]:
    labels = {"name": _("名称"), "leverage": _("放大倍数"), "loss_breaker": _("熔断损失率"),
              "loss_warning": _("预警损失率"), "share": _("分担比例"), "contribution": _("出资金额")}

    def changed(field, was, is_):
        return _("%(field)s记录为 %(then)s、现为 %(now)s") % {
            "field": labels[field], "then": _shown(field, was), "now": _shown(field, is_)}

    lines = [changed(f, then.get(f), now[f]) for f in POOL_FIELDS if then.get(f) != now[f]]
    listed = then.get("funders")
    # Keyed by the id's text: a record edited into nonsense (an id that is a list) still compares.
    recorded = {str(row.get("id")): row for row in (listed if isinstance(listed, list) else [])
                if isinstance(row, dict)}
    present = {str(row["id"]): row for row in now["funders"]}
    for pk, row in present.items():
        was = recorded.get(pk)
        if was is None:
            lines.append(_("出资方「%(name)s」没有记录") % {"name": row["name"]})
            continue
        lines += [_("出资方「%(name)s」的%(what)s") % {"name": was.get("name"), "what": changed(f, was.get(f), row[f])}
                  for f in FUNDER_FIELDS if was.get(f) != row[f]]
    lines += [_("记录的出资方「%(name)s」已不在") % {"name": row.get("name")}
              for pk, row in recorded.items() if pk not in present]
    return lines


def state_summary(state: dict) -> str:
    """One line of a recorded state, as people read it."""
    if not isinstance(state, dict):
        return ""
    try:
        funders = "、".join(f"{row.get('name')} {_shown('share', row.get('share'))}" for row in state.get("funders", []))
        return _("放大 %(leverage)s，熔断 %(breaker)s，预警 %(warning)s；%(funders)s") % {
            "leverage": _shown("leverage", state.get("leverage")),
            "breaker": _shown("loss_breaker", state.get("loss_breaker")),
            "warning": _shown("loss_warning", state.get("loss_warning")), "funders": funders}
    except (AttributeError, TypeError):  # a record edited into nonsense still lists
        return str(state)[:200]


def trusted_records() -> tuple[dict[int, dict], list[int]]:
    """Each pool's last record that vouches for it — sealed in the chain's one stream (by ``seq``), or
    pending with a valid ticket (written by ``pool_save``, its sealing not run yet) — and the ids of
    records in any other stream (never written by the service). A record inserted with SQL has no
    valid ticket and vouches for nothing (the chain's own check lists it as 未入链)."""
    last: dict[int, dict] = {}
    stray: list[int] = []
    for row in RiskPoolChange.objects.order_by(F("seq").asc(nulls_last=True), "id"):
        if row.stream != "":
            stray.append(row.pk)
            continue
        if row.seq is None and not ticket_valid(POOL_CHANGE_CHAIN, row.pk, lambda name, r=row: getattr(r, name),
                                                row.hash):
            continue
        last[row.pool_id] = row.state if isinstance(row.state, dict) else {}
    return last, stray


def check_untampered(pool_id: int | None) -> None:
    """409 ``pool_settings_tampered`` when the pool as stored differs from its last record: a save
    would seal an SQL edit into the chain and end its finding unseen. Restore the recorded values
    (``verify_audit`` names them), then save."""
    if not pool_id:
        return
    now = states_of([pool_id]).get(pool_id)
    if now is None:
        return
    recorded = trusted_records()[0].get(pool_id)
    lines = [_("没有设置记录")] if recorded is None else _differences(recorded, now)
    if lines:
        raise Conflict(_("资金池「%(name)s」的现有设置与最后一次设置记录不符（%(lines)s），疑被绕过流程改动："
                         "请先核查并恢复为记录的设置，再修改") % {"name": now["name"], "lines": "；".join(lines)},
                       code="pool_settings_tampered")


def pool_setting_findings() -> list[str]:
    """Each pool whose settings or funders differ from its last trusted record, or that has none;
    each record outside the chain's one stream."""
    last, stray = trusted_records()
    findings = [_("资金池设置记录 #%(id)s 不在该记录链的分区中，被绕过流程写入") % {"id": pk} for pk in stray]
    for pool_id, now in sorted(states_of().items()):
        head = {"id": pool_id, "name": now["name"]}
        if pool_id not in last:
            findings.append(_("风险补偿资金池 #%(id)s「%(name)s」没有可信的设置记录，被绕过流程设立或改动") % head)
            continue
        lines = _differences(last[pool_id], now)
        if lines:
            findings.append(_("风险补偿资金池 #%(id)s「%(name)s」：%(lines)s，被绕过流程改动")
                            % {**head, "lines": "；".join(lines)})
    return findings


register_check(pool_setting_findings)
