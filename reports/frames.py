"""Shape the selectors' aggregates into the report's sections with pandas (Decimal kept as object)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Industry, Region
from core.money import CENT, ZERO, format_money
from funding import ledger
from funding.workflow import ProgramCode, State
from pledges.models import PledgedRight

from . import selectors
from .document import DECIMAL, INT, MONEY, RATE, Column, Report, Section, as_int, as_money, dsum, frame_of, to_fen

# 实施意见 item 3: targets for 2025.
TARGETS = {
    "high_value_patents": Decimal("1.12"),  # 每万人口高价值发明专利拥有量
    "trademarks": Decimal("997.25"),  # 每万户市场主体有效注册商标量
}
NOT_ENTERED = "未录入"


def build_report(*, region: Region, year: int, today: date | None = None) -> Report:
    """Every section of the year-end report for ``region`` and fiscal ``year`` (a fixed set of queries)."""
    budgets = selectors.budget_rows(region, year)
    report = Report(
        year=year, region_code=region.code, region_name=region.name,
        generated_on=today or timezone.localdate(), has_budget=bool(budgets),
    )
    budget = budget_section(budgets)
    report.sections = [
        budget,
        adjustments_section(selectors.adjustment_rows(region, year)),
        states_section(selectors.application_state_rows(region, year)),
        *breakdown_sections(selectors.breakdown_rows(region, year)),
        top_section(selectors.top_recipient_rows(region, year)),
        tranches_section(selectors.tranche_rows(region, year)),
        loans_section(selectors.new_loan_rows(region, year), *selectors.outstanding_rows(region, year)),
        rights_section(selectors.pledged_right_rows(region, year)),
        support_section(budgets, selectors.pledge_event_totals(region, year)),
        indicators_section(selectors.ip_asset_counts(region), selectors.region_year_stats(region, year)),
        performance_section(selectors.completion_rows(region, year)),
        closures_section(selectors.termination_rows(region, year), selectors.clawback_rows(region, year),
                         selectors.closure_ledger_rows(region, year)),
    ]
    return report


def _totals(frame: pd.DataFrame, label: str, money: tuple[str, ...] = (), ints: tuple[str, ...] = (),
            first: str = "name") -> dict:
    totals: dict = {first: label}
    totals.update({k: dsum(frame[k]) if k in frame else ZERO for k in money})
    totals.update({k: int(frame[k].sum()) if k in frame and not frame.empty else 0 for k in ints})
    return totals


def _figures(allocated: Decimal, committed: Decimal, disbursed: Decimal, available: Decimal) -> ledger.BudgetFigures:
    """The ledger's own figures type, so the execution rate is the ledger's definition."""
    return ledger.BudgetFigures(allocated=allocated, committed=committed, disbursed=disbursed, available=available)


BUDGET_MONEY = ("initial", "adjusted", "recovered", "allocated", "committed", "disbursed", "available")


def budget_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["program__code", "program__name_zh", "initial", "fig_allocated", "fig_committed",
                            "fig_disbursed", "fig_available", "fig_recovered"])
    frame = frame.rename(columns={
        "program__code": "code", "program__name_zh": "name", "fig_allocated": "allocated",
        "fig_committed": "committed", "fig_disbursed": "disbursed", "fig_available": "available",
        "fig_recovered": "recovered",
    })
    frame = as_money(frame, "initial", "allocated", "committed", "disbursed", "available", "recovered")
    # allocated = initial + adjustments + recoveries, so the adjustments are what is left (exact Decimal).
    frame["adjusted"] = pd.Series(
        [a - i - r for a, i, r in zip(frame["allocated"], frame["initial"], frame["recovered"], strict=True)],
        index=frame.index, dtype=object,
    )
    frame["rate"] = pd.Series(
        [_figures(a, c, d, v).execution_rate for a, c, d, v in
         zip(frame["allocated"], frame["committed"], frame["disbursed"], frame["available"], strict=True)],
        index=frame.index, dtype=object,
    )
    totals = _totals(frame, "合计", money=BUDGET_MONEY)
    totals["rate"] = _figures(totals["allocated"], totals["committed"], totals["disbursed"],
                              totals["available"]).execution_rate
    columns = [
        Column("name", "资金项目"), Column("initial", "年初预算（元）", MONEY), Column("adjusted", "预算调整（元）", MONEY),
        Column("recovered", "追偿回流（元）", MONEY), Column("allocated", "预算合计（元）", MONEY),
        Column("committed", "已承诺未拨付（元）", MONEY), Column("disbursed", "已拨付（元）", MONEY),
        Column("available", "可用余额（元）", MONEY), Column("rate", "执行率", RATE),
    ]
    note = "预算合计 = 年初预算 + 预算调整 + 追偿回流 = 可用余额 + 已承诺未拨付 + 已拨付；执行率 = 已拨付 ÷ 预算合计。"
    return Section("budget", "一、预算执行情况（分资金项目）", columns, frame, totals, note)


def adjustments_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["budget__program__name_zh", "booked_on", "signed", "memo"]).rename(
        columns={"budget__program__name_zh": "name", "booked_on": "date", "signed": "amount"}
    )
    frame = as_money(frame, "amount")
    columns = [Column("name", "资金项目"), Column("date", "日期"), Column("amount", "调整金额（元）", MONEY),
               Column("memo", "摘要")]
    note = "" if rows else "本年度无预算调整。"
    return Section("adjustments", "二、预算调整明细（追加为正，调减为负）", columns, frame,
                   _totals(frame, "合计", money=("amount",)), note)


def states_section(rows: list[dict]) -> Section:
    states = list(State)
    frame = frame_of(rows, ["program__code", "program__name_zh", "state", "count"])
    if frame.empty:
        wide = pd.DataFrame(columns=["name", *[s.value for s in states], "total"])
    else:
        wide = frame.pivot_table(index="program__name_zh", columns="state", values="count", aggfunc="sum",
                                 fill_value=0).reset_index().rename(columns={"program__name_zh": "name"})
        wide.columns.name = None
        for s in states:
            if s.value not in wide:
                wide[s.value] = 0
        wide = as_int(wide, *[s.value for s in states])
        wide["total"] = wide[[s.value for s in states]].sum(axis=1).astype("int64")
    columns = [Column("name", "资金项目"), *[Column(s.value, str(s.label), INT) for s in states],
               Column("total", "合计", INT)]
    totals = _totals(wide, "合计", ints=(*[s.value for s in states], "total"))
    return Section("states", "三、申请数量（按状态）", columns, wide, totals)


def breakdown_sections(rows: list[dict]) -> list[Section]:
    frame = frame_of(rows, ["application__applicant__industry", "application__applicant__township__name",
                            "applications", "fig_committed", "fig_disbursed"])
    frame = frame.rename(columns={"application__applicant__industry": "industry",
                                  "application__applicant__township__name": "township",
                                  "fig_committed": "committed", "fig_disbursed": "disbursed"})
    frame = as_money(as_int(frame, "applications"), "committed", "disbursed")
    labels = dict(Industry.choices)
    frame["industry"] = [str(labels.get(v, v or "未填")) for v in frame["industry"].tolist()]
    frame["township"] = [v if isinstance(v, str) and v else "未填乡镇" for v in frame["township"].tolist()]
    columns_for = {
        "industry": ("industry", "四、资金分布（按行业）", "行业"),
        "township": ("township", "五、资金分布（按乡镇）", "乡镇（街道）"),
    }
    sections = []
    for key, (by, title, header) in columns_for.items():
        grouped = (
            frame.groupby(by, as_index=False, sort=True).agg(
                applications=("applications", "sum"), committed=("committed", "sum"), disbursed=("disbursed", "sum"),
            ) if not frame.empty else frame_of([], [by, "applications", "committed", "disbursed"])
        )
        grouped = as_money(grouped.rename(columns={by: "name"}), "committed", "disbursed")
        columns = [Column("name", header), Column("applications", "项目数", INT),
                   Column("committed", "已承诺未拨付（元）", MONEY), Column("disbursed", "已拨付（元）", MONEY)]
        sections.append(Section(key, title, columns, grouped,
                                _totals(grouped, "合计", money=("committed", "disbursed"), ints=("applications",))))
    return sections


def top_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["application__applicant__name", "application__applicant__credit_code", "applications",
                            "fig_committed", "fig_disbursed", "granted"])
    frame = frame.rename(columns={"application__applicant__name": "name",
                                  "application__applicant__credit_code": "credit_code",
                                  "fig_committed": "committed", "fig_disbursed": "disbursed"})
    frame = as_money(as_int(frame, "applications"), "committed", "disbursed", "granted")
    frame["credit_code"] = [v if isinstance(v, str) else "" for v in frame["credit_code"].tolist()]
    frame.insert(0, "rank", list(range(1, len(frame) + 1)))
    columns = [Column("rank", "排名", INT, 0.5), Column("name", "资助对象"), Column("credit_code", "统一社会信用代码", weight=2.4),
               Column("applications", "项目数", INT), Column("committed", "已承诺未拨付（元）", MONEY),
               Column("disbursed", "已拨付（元）", MONEY), Column("granted", "资助合计（元）", MONEY)]
    totals = _totals(frame, "前 10 名合计", money=("committed", "disbursed", "granted"), ints=("applications",),
                     first="rank")
    return Section("top", "六、主要资助对象（前 10 名）", columns, frame, totals)


def tranches_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["budget__program__name_zh", "month", "count", "amount"]).rename(
        columns={"budget__program__name_zh": "name"}
    )
    frame = as_money(as_int(frame, "count"), "amount")
    frame["month"] = [m.strftime("%Y-%m") if hasattr(m, "strftime") else "" for m in frame["month"].tolist()]
    columns = [Column("name", "资金项目"), Column("month", "拨付月份"), Column("count", "拨付笔数", INT),
               Column("amount", "拨付金额（元）", MONEY)]
    return Section("tranches", "七、资金拨付（按月，含分期拨付）", columns, frame,
                   _totals(frame, "合计", money=("amount",), ints=("count",)))


def loans_section(new_rows: list[dict], lent_rows: list[dict], repaid_rows: list[dict]) -> Section:
    new = frame_of(new_rows, ["bank__code", "bank__name", "new_count", "new_principal"])
    lent = frame_of(lent_rows, ["bank__code", "bank__name", "lent"])
    repaid = frame_of(repaid_rows, ["loan__bank__code", "repaid"]).rename(columns={"loan__bank__code": "bank__code"})
    frame = new.merge(lent, on=["bank__code", "bank__name"], how="outer").merge(repaid, on="bank__code", how="left")
    frame = as_money(as_int(frame, "new_count"), "new_principal", "lent", "repaid")
    frame["balance"] = pd.Series([a - b for a, b in zip(frame["lent"], frame["repaid"], strict=True)],
                                 index=frame.index, dtype=object)
    frame = frame.sort_values("bank__code").rename(columns={"bank__name": "name"}).reset_index(drop=True)
    columns = [Column("name", "贷款银行"), Column("new_count", "当年新增笔数", INT),
               Column("new_principal", "当年新增本金（元）", MONEY), Column("balance", "年末贷款余额（元）", MONEY)]
    note = "年末贷款余额：截至 12 月 31 日已放款、未结清且未违约贷款的本金减去已还本金。"
    return Section("loans", "八、知识产权质押贷款（按银行）", columns, frame,
                   _totals(frame, "合计", money=("new_principal", "balance"), ints=("new_count",)), note)


def rights_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["kind", "count", "valuation"])
    frame = as_money(as_int(frame, "count"), "valuation")
    labels = dict(PledgedRight.Kind.choices)
    frame["kind"] = [str(labels.get(v, v)) for v in frame["kind"].tolist()]
    columns = [Column("kind", "质押权利类型"), Column("count", "件数", INT), Column("valuation", "评估价值（元）", MONEY)]
    return Section("rights", "九、当年新增质押的专利权和商标权", columns, frame,
                   _totals(frame, "合计", money=("valuation",), ints=("count",), first="kind"))


def support_section(budgets: list[dict], events: dict) -> Section:
    by_code = {r["program__code"]: r for r in budgets}

    def fig(code: str, name: str) -> Decimal:
        row = by_code.get(code)
        return to_fen((row or {}).get(name))

    rows = [
        {"item": "质押贷款贴息已拨付（预算账）", "count": "", "amount": fig(ProgramCode.INTEREST_SUBSIDY, "fig_disbursed")},
        {"item": "风险补偿已拨付（预算账）", "count": "", "amount": fig(ProgramCode.RISK_COMPENSATION, "fig_disbursed")},
        {"item": "风险补偿追偿回流资金池（预算账）", "count": "",
         "amount": fig(ProgramCode.RISK_COMPENSATION, "fig_recovered")},
        {"item": "当年违约贷款（违约时余额）", "count": events["defaulted_count"],
         "amount": to_fen(events["defaulted_amount"])},
        {"item": "银行当年追偿回收", "count": events["recovered_count"],
         "amount": to_fen(events["recovered_amount"])},
        {"item": "其中：按比例分回资金池", "count": "", "amount": to_fen(events["recovered_pool"])},
    ]
    frame = as_money(frame_of(rows, ["item", "count", "amount"]), "amount")
    columns = [Column("item", "项目"), Column("count", "笔数", INT), Column("amount", "金额（元）", MONEY)]
    return Section("support", "十、贴息与风险补偿", columns, frame)


def _per_10k(count: int, base: int | None) -> Decimal | str:
    if not base:
        return NOT_ENTERED
    return (Decimal(count) * 10000 / Decimal(base)).quantize(CENT, rounding=ROUND_HALF_UP)


def indicators_section(counts: dict, stats: dict | None) -> Section:
    stats = stats or {}
    specs = [
        ("每万人口高价值发明专利拥有量", "high_value_patents", "resident_population", "常住人口"),
        ("每万户市场主体有效注册商标量", "valid_trademarks", "market_entities", "市场主体户数"),
    ]
    rows = []
    for (label, count_key, base_key, base_label), target in zip(specs, TARGETS.values(), strict=True):
        value = _per_10k(counts[count_key], stats.get(base_key))
        status = NOT_ENTERED if isinstance(value, str) else ("已达到" if value >= target else "未达到")
        rows.append({"name": label, "count": counts[count_key], "base_label": base_label,
                     "base": stats.get(base_key) or NOT_ENTERED, "value": value, "target": target, "status": status})
    frame = frame_of(rows, ["name", "count", "base_label", "base", "value", "target", "status"])
    columns = [Column("name", "指标"), Column("count", "数量", INT), Column("base_label", "基数口径"),
               Column("base", "基数", INT), Column("value", "当年值", DECIMAL), Column("target", "2025 年目标", DECIMAL),
               Column("status", "完成情况")]
    note = ("高价值发明专利：有效发明专利且至少具备一项高价值依据；有效注册商标：有效商标。"
            "常住人口、市场主体户数为年度录入数据，未录入时不计算。")
    return Section("indicators", "十一、知识产权指标与 2025 年目标", columns, frame, None, note)


# --- 绩效 ---------------------------------------------------------------------------------------
GRADES = ("excellent", "good", "pass")  # Application.completion_grade
RATE_PLACES = Decimal("0.0001")
NO_PLAN = "—"


def _outcome(outcomes, key: str) -> Decimal:
    """One 验收 outcome: ``output_value`` a decimal string ("4800000.00", parsed exactly), counts ints."""
    value = outcomes.get(key) if isinstance(outcomes, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ZERO
    return Decimal(value)


def _rate(actual, planned) -> Decimal | str:
    """actual ÷ planned to four places, or "—" where nothing was planned."""
    if not planned or planned <= 0:
        return NO_PLAN
    return (Decimal(actual) / Decimal(planned)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def performance_section(rows: list[dict]) -> Section:
    frame = frame_of(rows, ["program_id", "program__name_zh", "completion_grade", "completion_outcomes",
                            "industrialization_plan__expected_output_value", "industrialization_plan__jobs"])
    frame = frame.rename(columns={"program__name_zh": "name", "completion_grade": "grade",
                                  "industrialization_plan__expected_output_value": "planned_output",
                                  "industrialization_plan__jobs": "planned_jobs"})
    outcomes = frame["completion_outcomes"].tolist()
    frame["actual_output"] = pd.Series([_outcome(o, "output_value") for o in outcomes], index=frame.index, dtype=object)
    frame["actual_jobs"] = [int(_outcome(o, "jobs")) for o in outcomes]
    frame["patents"] = [int(_outcome(o, "patents_implemented")) for o in outcomes]
    for grade in GRADES:
        frame[grade] = [int(g == grade) for g in frame["grade"].tolist()]
    frame = as_money(as_int(frame, "planned_jobs", "actual_jobs", "patents", *GRADES), "planned_output")
    ints = ("completed", *GRADES, "planned_jobs", "actual_jobs", "patents")
    money = ("planned_output", "actual_output")
    if frame.empty:
        grouped = frame_of([], ["program_id", "name", *ints, *money])
    else:
        grouped = frame.groupby(["program_id", "name"], as_index=False, sort=True).agg(
            completed=("grade", "size"), **{k: (k, "sum") for k in (*ints[1:], *money)})
    grouped = as_money(grouped, *money)
    for rate, actual, planned in (("output_rate", "actual_output", "planned_output"),
                                  ("jobs_rate", "actual_jobs", "planned_jobs")):
        grouped[rate] = pd.Series([_rate(a, p) for a, p in zip(grouped[actual], grouped[planned], strict=True)],
                                  index=grouped.index, dtype=object)
    totals = _totals(grouped, _("合计"), money=money, ints=ints)
    totals["output_rate"] = _rate(totals["actual_output"], totals["planned_output"])
    totals["jobs_rate"] = _rate(totals["actual_jobs"], totals["planned_jobs"])
    columns = [
        Column("name", _("资金项目")), Column("completed", _("验收通过项目数"), INT),
        Column("excellent", _("优秀"), INT, 0.6), Column("good", _("良好"), INT, 0.6), Column("pass", _("合格"), INT, 0.6),
        Column("planned_output", _("计划产值（元）"), MONEY), Column("actual_output", _("实际产值（元）"), MONEY),
        Column("output_rate", _("产值完成率"), RATE), Column("planned_jobs", _("计划新增就业（人）"), INT),
        Column("actual_jobs", _("实际新增就业（人）"), INT), Column("jobs_rate", _("就业完成率"), RATE),
        Column("patents", _("实施专利（件）"), INT),
    ]
    note = _("验收通过：当年通过验收（以验收通过记录的日期为准）且现为已验收或验收后已拨付完毕的项目。"
             "计划产值、计划新增就业取自项目计划，实际值取自验收成果；完成率 = 实际 ÷ 计划，无计划的记为“—”。")
    return Section("performance", _("十二、绩效：项目验收（按资金项目）"), columns, grouped, totals, note)


CLOSURE_KEYS = ["application__program_id", "application__program__name_zh"]
CLOSURE_MONEY = ("paid_before", "released", "clawed_back", "fraud_amount")
CLOSURE_INTS = ("terminated", "clawbacks", "fraud_count")


def closures_section(terminations: list[dict], clawbacks: list[dict], ledger_rows: list[dict]) -> Section:
    ended = frame_of(terminations, [*CLOSURE_KEYS, "terminated", "paid_before", "released"])
    recovered = frame_of(clawbacks, [*CLOSURE_KEYS, "clawbacks", "clawed_back", "fraud_count", "fraud_amount"])
    frame = ended.merge(recovered, on=CLOSURE_KEYS, how="outer").rename(
        columns={"application__program_id": "program_id", "application__program__name_zh": "name"})
    frame = as_money(as_int(frame, *CLOSURE_INTS), *CLOSURE_MONEY)
    frame = frame.sort_values("program_id").reset_index(drop=True)
    columns = [
        Column("name", _("资金项目")), Column("terminated", _("终止项目数"), INT),
        Column("paid_before", _("终止前已拨付（元）"), MONEY), Column("released", _("终止释放承诺（元）"), MONEY),
        Column("clawbacks", _("追回笔数"), INT), Column("clawed_back", _("追回金额（元）"), MONEY),
        Column("fraud_count", _("其中欺诈笔数"), INT), Column("fraud_amount", _("其中欺诈追回（元）"), MONEY),
    ]
    section = Section("closures", _("十三、绩效：项目终止与资金追回（按资金项目）"), columns, frame,
                      _totals(frame, _("合计"), money=CLOSURE_MONEY, ints=CLOSURE_INTS))
    differences = closure_differences(section, ledger_rows)
    check = (_("与预算账核对不一致：%(items)s") % {"items": "；".join(differences)} if differences
             else _("终止释放承诺、追回金额与预算账当年的释放、追回分录核对一致。"))
    section.note = _("终止按终止记录的日期、追回按追回日期计入当年。%(check)s") % {"check": check}
    return section


def closure_differences(section: Section, ledger_rows: list[dict]) -> list[str]:
    """Where the section's 终止释放承诺 / 追回金额 differ from the ledger's entries of the year, per
    program ([] = reconciled): the section reads the audit rows (terminations, clawbacks), the ledger
    its own entries, so an edit of either side shows."""
    ours = {r["program_id"]: r for r in section.frame.to_dict("records")}
    booked = {r["budget__program_id"]: r for r in ledger_rows}
    checks = (("released", "ledger_released", _("终止释放承诺")), ("clawed_back", "ledger_clawed_back", _("追回金额")))
    problems = []
    for program_id in sorted(set(ours) | set(booked)):
        mine, theirs = ours.get(program_id, {}), booked.get(program_id, {})
        name = mine.get("name") or theirs.get("budget__program__name_zh")
        for key, ledger_key, label in checks:
            reported, entered = to_fen(mine.get(key)), to_fen(theirs.get(ledger_key))
            if reported != entered:
                problems.append(_("%(program)s：%(item)s %(report)s，预算账分录为 %(ledger)s")
                                % {"program": name, "item": label, "report": format_money(reported),
                                   "ledger": format_money(entered)})
    return problems


__all__ = ["build_report", "closure_differences", "TARGETS"]
