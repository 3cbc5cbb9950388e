"""The report as data: sections of typed columns over pandas frames, rendered by pdf/xlsx/csv/html.

Money columns hold ``Decimal`` (object dtype), counts ``int``, rates ``Decimal`` fractions; a cell
may also hold a string such as "未录入". Renderers format; they never compute.

Money is held in 元 to the fen. The printed report (PDF, the HTML page) shows money columns in 万元
(``format_cell(..., wan=True)``) under a "单位：万元" line (``unit_line``), the headers without their
"（元）" (``Column.printed_header``); the data exports (XLSX, CSV) keep 元 to the fen and the headers
that say so. A 万元 figure is a display of the yuan value, a total the display of the yuan total.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext as _

from core.money import ZERO, format_amount, format_number, format_percent, format_wan_amount, plain_decimal, quantize

TEXT, MONEY, INT, RATE, DECIMAL = "text", "money", "int", "rate", "decimal"
# How a money header names its unit (frames.py; the English of the translated ones).
YUAN_SUFFIXES = ("（元）", "(yuan)")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    weight: float | None = None  # relative width in the PDF (default by kind)

    @property
    def printed_header(self) -> str:
        """The header in the printed report, where money reads in 万元 under the section's unit line:
        a money column's header without its "（元）" (" (yuan)" in English)."""
        if self.kind == MONEY:
            for suffix in YUAN_SUFFIXES:
                if self.header.endswith(suffix):
                    return self.header[: -len(suffix)].rstrip()
        return self.header


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    frame: pd.DataFrame
    totals: dict | None = None  # column key -> value; the first column holds the label
    note: str = ""

    @property
    def has_money(self) -> bool:
        """Whether the printed table needs the "单位：万元" line."""
        return any(c.kind == MONEY for c in self.columns)

    def rows(self) -> list[list]:
        """Cell values in column order (the frame is small: one row per program, bank, month…)."""
        keys = [c.key for c in self.columns]
        if self.frame.empty:
            return []
        return [[_plain(v) for v in row] for row in self.frame[keys].to_numpy(dtype=object).tolist()]

    def total_row(self) -> list | None:
        if self.totals is None:
            return None
        return [self.totals.get(c.key, "") for c in self.columns]


@dataclass
class Report:
    year: int
    region_code: str
    region_name: str
    generated_on: date
    has_budget: bool
    sections: list[Section] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.region_name}知识产权专项资金 {self.year} 年度预算执行情况报告"

    @property
    def notice(self) -> str:
        if self.has_budget:
            return ""
        return f"{self.region_name} {self.year} 年度没有资金项目预算，本报告无预算执行数据。"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def unit_line() -> str:
    """The line above each money table of the printed report (PDF, HTML page)."""
    return _("单位：万元")


def _plain(value):
    """numpy scalars (counts) as Python ints; Decimal, str and dates unchanged."""
    return value.item() if hasattr(value, "item") and not isinstance(value, Decimal | str) else value


def dsum(series: pd.Series) -> Decimal:
    """Σ of a Decimal column, exact (ZERO when empty)."""
    total = ZERO
    for value in series.tolist():
        if isinstance(value, Decimal):
            total += value
    return total


def as_money(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Money columns as object dtype holding Decimal to the fen; missing values (after merges) become ZERO.

    SQLite sums decimals in binary floating point (``1.7E-12`` for a zero balance); the fen is the
    unit of every figure, so values are fixed to 0.01 here, at the edge between database and report.
    """
    for key in keys:
        values = [to_fen(v) for v in frame[key].tolist()] if key in frame else []
        frame[key] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def to_fen(value) -> Decimal:
    """A Decimal fixed to the fen, half up (``core.money.quantize``); anything else is ZERO."""
    return quantize(value) if isinstance(value, Decimal) else ZERO


def as_int(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    for key in keys:
        frame[key] = frame[key].fillna(0).astype("int64") if key in frame else 0
    return frame


def frame_of(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A frame with exactly ``columns`` even when there are no rows; no dtype guessing for money."""
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def format_cell(value, kind: str, *, thousands: bool = True, wan: bool = False) -> str:
    """Text for PDF/HTML/CSV, through ``core.money``: money ``1,234,567.89`` (the headers say 元),
    rates ``60%``/``3.85%``, quantities without exponent. ``thousands=False`` is the CSV's
    machine-readable form: money as plain two-place decimals (``1234567.89``), no separators.
    ``wan=True`` is the printed report's form: money in 万元 (``123.46`` for 1,234,567.89 元) under
    ``unit_line()``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if kind == MONEY and isinstance(value, Decimal):
        if wan:
            return format_wan_amount(value)
        return format_amount(value) if thousands else plain_decimal(to_fen(value), min_places=2)
    if kind == RATE and isinstance(value, Decimal):
        return format_percent(value)
    if kind == DECIMAL and isinstance(value, Decimal):
        return format_number(value) if thousands else plain_decimal(value)
    if kind == INT and isinstance(value, int):
        return f"{value:,}" if thousands else str(value)
    return str(value)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """Text that a spreadsheet must not run as a formula (CSV/XLSX injection): prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
