"""The applications half of ``devtools.synthetic``: programs, states, details, reviews, history and
the ledger entries each state implies, built in memory per chunk and bulk-inserted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from applicants.models import Industry, IPAsset
from core.money import CENT, ZERO
from devtools.demo_data import item_scores_for
from funding.models import (
    Account,
    Application,
    AwardNomination,
    EntryKind,
    IndustrializationPlan,
    LedgerEntry,
    PatentClaim,
    Review,
    ReviewAssignment,
    SubsidyClaim,
    TransitionLog,
)
from funding.workflow import ProgramCode as P
from funding.workflow import State as S
from funding.workflow import Transition as T
from pledges.models import InterestSubsidyClaim, InterestSubsidyLoan, RiskCompensationClaim

# Every table ``AppBuilder`` writes (with IPAsset, which the loans write too).
APP_TABLES = (IPAsset, Application, PatentClaim, Review, ReviewAssignment, TransitionLog, LedgerEntry, SubsidyClaim,
              IndustrializationPlan, AwardNomination, InterestSubsidyClaim, InterestSubsidyLoan, RiskCompensationClaim)
RELEASED = (S.REJECTED, S.WITHDRAWN)
PAST = ((S.DISBURSED, 55), (S.APPROVED, 10), (S.REJECTED, 20), (S.WITHDRAWN, 7), (S.RETURNED, 2),
        (S.PUBLICITY, 1), (S.ACCEPTED, 2), (S.SUBMITTED, 3))
CURRENT = ((S.DRAFT, 12), (S.SUBMITTED, 15), (S.RETURNED, 6), (S.ACCEPTED, 12), (S.UNDER_REVIEW, 10),
           (S.PUBLICITY, 10), (S.APPROVED, 12), (S.DISBURSED, 13), (S.REJECTED, 7), (S.WITHDRAWN, 3))
STANDARDS = {"CN": Decimal("1000.00"), "US": Decimal("20000.00"), "JP": Decimal("20000.00"),
             "KR": Decimal("20000.00"), "EP": Decimal("20000.00")}
LEVELS = (("gold", Decimal("200000.00"), 1), ("silver", Decimal("100000.00"), 3), ("excellence", Decimal("50000.00"), 6))
COMMENTS = {T.RETURN_FOR_REVISION: "材料不全，请补正", T.REJECT: "不符合申报条件", T.WITHDRAW: "申请人撤回"}
TITLES_BY_INDUSTRY = {Industry.CRISP_PLUM: "脆李", Industry.MEDICINAL_HERBS: "中药材", Industry.NEW_MATERIALS: "新材料",
                      Industry.INTEGRATED_CIRCUITS: "集成电路", Industry.AGRI_PROCESSING: "农产品加工"}


@dataclass
class Rec:
    app: dict  # the Application row
    ctx: object
    code: str
    patents: list = field(default_factory=list)  # (asset id, standard)
    details: list = field(default_factory=list)  # objects with application_id to set
    interest: tuple | None = None  # (loan id, year, interest paid)
    reviews: int = 0
    logs: list = field(default_factory=list)  # (transition, from, to, by, date)
    entries: list = field(default_factory=list)  # (kind, amount, date, voucher)


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class AppBuilder:
    def __init__(self, gen) -> None:
        self.g = gen
        self.rng = gen.rng

    # --- what to build -----------------------------------------------------------------------
    def plan(self, n: int) -> list[tuple]:
        g = self.g
        items: list[tuple] = [(P.RISK_COMPENSATION, f) for f in g.loans if f.default_year][: n]
        candidates = [(f, y, i) for f in g.loans for y, i in f.interest_by_year.items() if y < g.year and i >= CENT * 2]
        self.rng.shuffle(candidates)
        items += [(P.INTEREST_SUBSIDY, c) for c in candidates[: min(int(n * 0.08), max(0, n - len(items)))]]
        rest = n - len(items)
        codes = self.rng.choices((P.APPLICATION_SUBSIDY, P.INDUSTRIALIZATION, P.PATENT_AWARD), (50, 30, 20), k=rest)
        items += [(code, None) for code in codes]
        self.rng.shuffle(items)
        return items

    def run(self, n: int, chunk: int = 5000) -> None:
        items = self.plan(n)
        bar = self.g.bar(n, "申请")
        for start in range(0, len(items), chunk):
            part = items[start: start + chunk]
            self.write([self.build(code, extra) for code, extra in part])
            bar.update(len(part))
        bar.close()

    # --- one application ------------------------------------------------------------------------
    def pick_state(self, year: int, code: str, extra) -> str:
        if code == P.RISK_COMPENSATION:
            if extra.compensated:
                return S.DISBURSED
            return self.rng.choice((S.SUBMITTED, S.SUBMITTED, S.ACCEPTED, S.APPROVED))
        table = PAST if year < self.g.year else CURRENT
        state = self.rng.choices([s for s, _ in table], [w for _, w in table])[0]
        if state == S.UNDER_REVIEW and code not in (P.INDUSTRIALIZATION, P.PATENT_AWARD):
            state = S.ACCEPTED
        return state

    def build(self, code: str, extra) -> Rec:
        g, rng = self.g, self.rng
        if code == P.RISK_COMPENSATION:
            party, year = extra.borrower, extra.default_year
        elif code == P.INTEREST_SUBSIDY:
            party, year = extra[0].borrower, extra[1] + 1
        else:
            party = rng.choice(g.parties if code != P.INDUSTRIALIZATION else g.enterprises)
            year = rng.choice(g.years)
        ctx = g.regions[party.region]
        state = self.pick_state(year, code, extra)
        rec = Rec(dict(id=g.table(Application).take(), program_id=ctx.programs[code].pk,
                       region_id=ctx.programs[code].region_id, applicant_id=party.id,
                       fiscal_year=year, state=state, requested_amount=ZERO), ctx, code)
        getattr(self, f"details_{code}")(rec, party, year, extra)
        app = rec.app
        if state in (S.APPROVED, S.DISBURSED):
            app["approved_amount"] = app["requested_amount"]
            if code == P.INDUSTRIALIZATION:
                app["approved_amount"] = max(CENT, _q(app["requested_amount"] * Decimal(rng.randrange(60, 101)) / 100))
        self.history(rec, code, state, year)
        return rec

    def details_application_subsidy(self, rec: Rec, party, year: int, extra) -> None:
        total = ZERO
        for _ in range(self.rng.choices((1, 2, 3), (6, 3, 1))[0]):
            patent, _number, country = self.g.new_patent(party, granted_year=year - 1)
            standard = STANDARDS.get(country, Decimal("10000.00"))
            rec.patents.append((patent, standard))
            total += standard
        rec.app["requested_amount"] = total
        rec.app["title"] = f"{year}年度专利资助申请（{len(rec.patents)}件发明专利）"
        rec.details.append((SubsidyClaim, {"official_fees_paid": total * 2 + self.rng.randrange(0, 3000)}))

    def details_industrialization(self, rec: Rec, party, year: int, extra) -> None:
        for _ in range(self.rng.choice((1, 1, 2))):
            patent, number, _country = self.g.new_patent(party, granted_year=year - self.rng.randrange(1, 5),
                                                         invention=False)
            rec.patents.append((patent, ZERO))
        total = Decimal(self.rng.randrange(100, 800) * 10_000)
        own = _q(total * Decimal(self.rng.randrange(50, 71)) / 100)
        rec.app["requested_amount"] = min(Decimal(self.rng.randrange(100, 501) * 1000), total - own)
        rec.app["title"] = f"{TITLES_BY_INDUSTRY.get(party.industry, '专利技术')}专利 {number} 产业化项目"
        rec.details.append((IndustrializationPlan, dict(total_investment=total, self_funding=own,
                                                        jobs=self.rng.randrange(3, 80),
                                                        expected_output_value=total * self.rng.randrange(2, 6))))

    def details_patent_award(self, rec: Rec, party, year: int, extra) -> None:
        level, amount, _w = self.rng.choices(LEVELS, [w for *_x, w in LEVELS])[0]
        patent, number, _country = self.g.new_patent(party, granted_year=year - self.rng.randrange(1, 5))
        rec.patents.append((patent, amount))
        rec.app["requested_amount"] = amount
        rec.app["title"] = f"{year}年度专利奖申报：{number}"
        rec.details.append((AwardNomination, {"level": level}))

    def details_interest_subsidy(self, rec: Rec, party, year: int, extra) -> None:
        fact, loan_year, interest = extra
        rec.app["requested_amount"] = max(CENT, min(_q(interest / 2), Decimal("300000.00")))
        rec.app["title"] = f"{loan_year}年度知识产权质押贷款贴息申请"
        rec.details.append((InterestSubsidyClaim, {"year": loan_year, "id": self.g.table(InterestSubsidyClaim).take()}))
        rec.interest = (fact.id, loan_year, interest)

    def details_risk_compensation(self, rec: Rec, party, year: int, extra) -> None:
        rec.app["claimant_bank_id"] = extra.bank_id
        rec.app["requested_amount"] = max(CENT, min(_q(extra.outstanding_at_default * Decimal("0.4")),
                                                    Decimal("1000000.00")))
        rec.app["title"] = f"贷款 #{extra.id} 违约风险补偿"
        rec.details.append((RiskCompensationClaim, dict(loan_id=extra.id, share=Decimal("0.4000"),
                                                        outstanding_at_default=extra.outstanding_at_default)))

    def history(self, rec: Rec, code: str, state: str, year: int) -> None:
        """The transitions that lead from draft to ``state``, with the ledger entries they imply."""
        app, ctx, rng, today = rec.app, rec.ctx, self.rng, self.g.today
        if state == S.DRAFT:
            return
        intake = ctx.staff["fin_center" if code in (P.INTEREST_SUBSIDY, P.RISK_COMPENSATION) else "ip_office"]
        finance = ctx.staff["finance"]
        expert = code in (P.INDUSTRIALIZATION, P.PATENT_AWARD)
        notice = code != P.RISK_COMPENSATION
        day = self.g.date_in(year)
        steps: list[tuple[str, str, int | None]] = [(T.SUBMIT, S.SUBMITTED, None)]
        if state == S.RETURNED:
            steps.append((T.RETURN_FOR_REVISION, S.RETURNED, intake))
        elif state == S.WITHDRAWN:
            steps.append((T.WITHDRAW, S.WITHDRAWN, None))
        elif state != S.SUBMITTED:
            steps.append((T.ACCEPT, S.ACCEPTED, intake))
            if state == S.REJECTED:
                steps.append((T.REJECT, S.REJECTED, intake))
            elif state != S.ACCEPTED:
                if expert:
                    steps.append((T.SEND_TO_REVIEW, S.UNDER_REVIEW, intake))
                    rec.reviews = rng.randrange(0, 3) if state == S.UNDER_REVIEW else 3
                if state not in (S.UNDER_REVIEW,) and notice:
                    steps.append((T.PUBLISH, S.PUBLICITY, intake))
                if state in (S.APPROVED, S.DISBURSED):
                    steps.append((T.APPROVE, S.APPROVED, finance))
        before = S.DRAFT
        for name, to, by in steps:
            day = min(day + dt.timedelta(days=rng.randrange(1, 12)), today)
            rec.logs.append((name, before, to, by, day))
            before = to
            if name == T.SUBMIT:
                app["submitted_at"] = _at(day)
            elif name == T.PUBLISH:
                app["publicity_started_on"] = day
            elif name in (T.APPROVE, T.REJECT, T.WITHDRAW):
                app["decided_at"] = _at(day)
        if state in (S.APPROVED, S.DISBURSED):
            approved = app["approved_amount"]
            rec.entries.append((EntryKind.COMMIT, approved, day, None))
            payments: list[Decimal] = []
            if state == S.DISBURSED:
                first = _q(approved * Decimal("0.6")) if code == P.INDUSTRIALIZATION else approved
                payments = [first] + ([approved - first] if first < approved else [])
                app["completion_grade"] = "pass" if code == P.INDUSTRIALIZATION else ""
            elif code == P.INDUSTRIALIZATION and rng.random() < 0.5:
                payments = [_q(approved * Decimal("0.6"))]
            state_now = S.APPROVED
            for k, amount in enumerate(payments, start=1):
                day = min(day + dt.timedelta(days=rng.randrange(5, 60)), today)
                if k == 2:  # the rest is paid after 验收
                    rec.logs.append((T.SUBMIT_COMPLETION, S.APPROVED, S.COMPLETION_REVIEW, None, day))
                    rec.logs.append((T.PASS_COMPLETION, S.COMPLETION_REVIEW, S.COMPLETED, intake, day))
                    state_now = S.COMPLETED
                rec.logs.append((T.DISBURSE, state_now, state_now, finance, day))
                rec.entries.append((EntryKind.PAYMENT, amount, day, f"SYN-{app['id']:09d}-{k}"))
            if payments and state == S.DISBURSED:
                rec.logs[-1] = rec.logs[-1][:2] + (S.DISBURSED,) + rec.logs[-1][3:]
            app["disbursed_amount"] = sum(payments, ZERO)

    # --- writing one chunk ------------------------------------------------------------------------
    def write(self, recs: list[Rec]) -> None:
        t = self.g.table
        apps, claims, reviews, assignments, logs, entries, loans = (
            t(m) for m in (Application, PatentClaim, Review, ReviewAssignment, TransitionLog, LedgerEntry,
                           InterestSubsidyLoan))
        for r in recs:
            app = r.app
            app_id, live = app["id"], app["state"] not in RELEASED
            if r.reviews or app["state"] == S.UNDER_REVIEW:
                app["review_round"] = 1  # reviewed (or being reviewed) in one round
            apps.add(**app)
            for model, row in r.details:
                t(model).add(application_id=app_id, **row)
                if model is InterestSubsidyClaim:
                    loan_id, year, interest = r.interest
                    loans.add(claim_id=row["id"], loan_id=loan_id, year=year, interest_paid=interest, live=live)
            for asset, standard in r.patents:
                claims.add(application_id=app_id, program_id=app["program_id"], patent_id=asset,
                           standard_amount=standard, live=live)
            if r.reviews or app["state"] == S.UNDER_REVIEW:
                for i, expert in enumerate(self.rng.sample(r.ctx.experts, 3)):
                    assignments.add(application_id=app_id, expert_id=expert, round=1)
                    if i < r.reviews:
                        score = self.rng.randrange(55, 98)
                        reviews.add(application_id=app_id, expert_id=expert, round=1, score=score,
                                    item_scores=item_scores_for(r.ctx.programs[r.code].scoring_criteria, score),
                                    recommended_amount=app["requested_amount"], comment="同意推荐")
            for name, before, to, by, day in r.logs:
                logs.add(application_id=app_id, transition=name, from_state=before, to_state=to, by_id=by,
                         at=_at(day), comment=COMMENTS.get(name, ""))
            budget = r.ctx.budgets[(r.code, app["fiscal_year"])]
            for kind, amount, day, voucher in r.entries:
                credit, debit = ((Account.AVAILABLE, Account.COMMITTED) if kind == EntryKind.COMMIT
                                 else (Account.COMMITTED, Account.PAID))
                entries.add(budget_id=budget, application_id=app_id, kind=kind, amount=amount, credit_account=credit,
                            debit_account=debit, booked_on=day, voucher_no=voucher,
                            created_by_id=r.ctx.staff["finance"], memo="合成数据")


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC)
