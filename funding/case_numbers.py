"""受理编号: ``WS-ZL-2026-0007`` — the county's prefix (``settings.IPFUND_CASE_PREFIX``), the program's
(``PROGRAM_PREFIXES``), the year of the first submission and a serial per program and year.

Given once, in the transaction of the first submission (``funding.effects._prepare_submit``), after
the application's and the applicant's locks; a resubmission after a return keeps it. Race-free by
the unique index on ``Application.case_no``: the next serial is one more than the highest given;
when two submissions pick the same one at once, the later UPDATE waits on the index for the
earlier's commit, fails, and (inside a savepoint, so the submission goes on) takes the next. A
refused submission rolls its number back, so the serials have no gaps but for withdrawn cases'.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .models import Application
from .workflow import ProgramCode

PROGRAM_PREFIXES = {
    ProgramCode.INDUSTRIALIZATION: "CY",
    ProgramCode.APPLICATION_SUBSIDY: "ZL",
    ProgramCode.PATENT_AWARD: "JL",
    ProgramCode.INTEREST_SUBSIDY: "TX",
    ProgramCode.RISK_COMPENSATION: "FX",
}
ATTEMPTS = 50


def prefix_of(program_code: str, year: int) -> str:
    county = getattr(settings, "IPFUND_CASE_PREFIX", "") or "WS"
    return f"{county}-{PROGRAM_PREFIXES.get(program_code, 'QT')}-{year}-"


def next_serial(prefix: str) -> int:
    """One more than the highest serial given under ``prefix`` (longest first: 10000 after 9999)."""
    last = (Application.objects.filter(case_no__startswith=prefix).annotate(width=Length("case_no"))
            .order_by("-width", "-case_no").values_list("case_no", flat=True).first())
    return int(last[len(prefix):]) + 1 if last else 1


def assign(application: Application) -> str:
    """The case's number: the one it has, or the next of its program and year, stored now."""
    if application.case_no:
        return application.case_no
    prefix = prefix_of(application.program.code, timezone.localdate().year)
    for _attempt in range(ATTEMPTS):
        candidate = f"{prefix}{next_serial(prefix):04d}"
        try:
            with transaction.atomic():
                Application.objects.filter(pk=application.pk).update(case_no=candidate)
        except IntegrityError:  # taken by a submission that committed first: read again
            continue
        application.case_no = candidate
        return candidate
    raise Conflict(_("受理编号分配繁忙，请稍后重试"), code="concurrent_modification")
