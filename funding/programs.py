"""Per-program behaviour behind one interface: the details an application carries, what it still
lacks before submission, and how its amount is computed from the program's rules.

funding registers the three funding programs; pledges registers interest_subsidy and
risk_compensation from its AppConfig.ready(), so funding never imports pledges.
"""

from decimal import Decimal

from django.utils.translation import gettext as _


class ProgramHandler:
    """Default behaviour; subclasses override what their program needs."""

    code: str = ""
    # Risk compensation: approve at most what the budget still holds (only an empty budget conflicts).
    cap_by_budget_room: bool = False
    # True: the amount is the rule's (a subsidy standard, an award level, a ratio): the request is
    # at most ``rule_amount`` and defaults to it. False: the claimant asks, ``rule_amount`` bounds it.
    formula: bool = False

    def create_details(self, application, data: dict, *, by) -> None:
        """Store the program's details for a new (or edited draft) application. Raises Invalid/Conflict."""

    def missing_requirements(self, application) -> list[str]:
        """Human-readable list of what is still missing before the application may be submitted."""
        missing: list[str] = []
        have = {doc.kind for doc in application.documents.all()}
        for kind in application.rules.required_documents or []:
            if kind not in have:
                missing.append(_("材料「%(kind)s」") % {"kind": kind})
        return missing

    def rule_amount(self, application) -> Decimal | None:
        """The most the rules give this case, re-derived now from its stored details and the facts,
        under ``application.rules``; None when no rule bounds the request (caps still apply)."""
        return None

    def explain(self, application) -> list[str]:
        """How ``rule_amount`` is reached, a line per step, from the same numbers (empty: no rule)."""
        return []

    def computed_amount(self, application) -> Decimal | None:
        """The amount the rules give, or None when the applicant's requested amount stands."""
        return self.rule_amount(application) if self.formula else None

    def lock_related(self, application) -> None:
        """Lock the rows this case's transitions change besides the application (e.g. its loan):
        called right after the application is locked, before the budget (one lock order)."""

    def default_fiscal_year(self, data: dict) -> int | None:
        """The fiscal year a case belongs to when the claimant names none (None: the current year)."""
        return None

    def refuse_transition(self, application, name: str) -> None:
        """Raise Conflict when the program's own rules forbid transition ``name`` now (risk
        compensation: the pool's coverage and circuit breaker). Run by the page's check without
        locks, and by the transition right after ``lock_related``."""

    def after_effects(self, application, name: str, amount: Decimal | None, by=None) -> None:
        """Called in the transaction of every transition, after its ledger entries (``amount``: what
        the transition committed, paid or released)."""

    def details(self, application) -> dict:
        """JSON-able program fields for the API's application detail."""
        return {}

    def on_released(self, application, by=None) -> None:
        """Called in the transaction that rejects or withdraws the application."""

    def on_disbursed(self, application, by=None) -> None:
        """Called in the transaction of the payment that completes the application."""


_HANDLERS: dict[str, ProgramHandler] = {}


def register(handler: ProgramHandler) -> ProgramHandler:
    _HANDLERS[handler.code] = handler
    return handler


def handler_for(code: str) -> ProgramHandler:
    return _HANDLERS.get(code) or ProgramHandler()
