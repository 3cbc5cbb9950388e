"""The public notice (公示) as a county posts it: one document per region, program and fiscal year,
listing each case in its notice period with the amount proposed (the approval bound when the notice
was published, ``Application.proposed_amount``), never the request. Read without login, so nothing
here may show an identity number, and an individual inventor's name is masked (张*三)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from applicants.models import Applicant, Region
from core.workdays import unknown_years

from .models import Application, Program
from .workflow import State


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 欧阳娜娜 → 欧**娜: the first and last characters stay."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def public_name(applicant: Applicant) -> str:
    return mask_name(applicant.name) if applicant.kind == Applicant.Kind.INDIVIDUAL else applicant.name


@dataclass(frozen=True)
class NoticeEntry:
    """One notice on the board: a program's cases of one fiscal year in their notice period."""

    region: Region
    program: Program
    year: int
    cases: int
    starts: date
    ends: date | None


def _in_notice() -> QuerySet[Application]:
    return Application.objects.filter(state=State.PUBLICITY)


def notice_groups() -> QuerySet:
    """One row per running notice (program, fiscal year): its cases and dates, newest first."""
    return (_in_notice().values("program_id", "fiscal_year")
            .annotate(cases=Count("id"), starts=Min("publicity_started_on"), ends=Max("publicity_ends_on"))
            .order_by("-starts", "program_id", "-fiscal_year"))


def notice_board() -> list[NoticeEntry]:
    """Every notice running now (one query for the groups, one for their programs)."""
    groups = list(notice_groups())
    programs = Program.objects.select_related("region").in_bulk({g["program_id"] for g in groups})
    return [NoticeEntry(region=programs[g["program_id"]].region, program=programs[g["program_id"]],
                        year=g["fiscal_year"], cases=g["cases"], starts=g["starts"], ends=g["ends"])
            for g in groups]


def notice_program(region_code: str, program_code: str) -> Program | None:
    return Program.objects.select_related("region").filter(region__code=region_code, code=program_code).first()


def notice_cases(program: Program, year: int) -> QuerySet[Application]:
    """The cases of one notice, in the order they were published (what the document lists)."""
    return (_in_notice().filter(program=program, fiscal_year=year).select_related("applicant")
            .only("id", "title", "proposed_amount", "publicity_started_on", "publicity_ends_on",
                  "applicant__name", "applicant__kind")
            .order_by("publicity_started_on", "id"))


def notice_case(application_id: int) -> Application | None:
    """A case in its notice period, for the objection form (None when it is not, or no longer, in it)."""
    return (_in_notice().select_related("program__region", "applicant").filter(pk=application_id).first())


def calendar_gaps(on: date | None = None) -> list[int]:
    """Years a notice published now could run into (the longest, 60 working days, within 90 days)
    whose holidays nobody knows: staff are told."""
    on = on or timezone.localdate()
    return unknown_years(on, on + timedelta(days=90))
