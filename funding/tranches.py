"""What finance may pay a case now: the unpaid approved amount, and before 验收 at most the first
tranche (``first_tranche_share`` of the approved amount). The disburse step refuses more; the page
prefills this amount and says why when it is less than what is unpaid."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import ZERO, format_money, format_percent, quantize

from .workflow import State


@dataclass(frozen=True)
class Payable:
    amount: Decimal
    limit_code: str | None = None  # "tranche_limit" when the first tranche caps it
    message: str = ""


def payable_now(app) -> Payable:
    outstanding = max(ZERO, app.outstanding_amount)
    share = app.rules.first_tranche_share
    if share < 1 and app.state == State.APPROVED:  # before 验收: at most the first tranche
        limit = quantize((app.approved_amount or ZERO) * share)
        room = max(ZERO, limit - app.disbursed_amount)
        if room < outstanding:
            return Payable(room, "tranche_limit",
                           _("验收前最多拨付 %(limit)s（批准金额的 %(pct)s），已拨付 %(paid)s；其余须验收后拨付")
                           % {"limit": format_money(limit), "pct": format_percent(share),
                              "paid": format_money(app.disbursed_amount)})
    return Payable(outstanding)
