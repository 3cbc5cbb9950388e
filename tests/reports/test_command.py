"""budget_report: files in every format, the no-budget year, and bad input with nothing left behind."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from reports import services

pytestmark = pytest.mark.django_db

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("budget_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_command_writes_the_report_in_each_format(populated, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    message = run("--year", str(populated.year), "--format", fmt, "--output", str(target))
    assert target.stat().st_size > 500
    assert "已生成" in message
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp file left


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_a_year_without_budget_gives_a_report_that_says_so(world, tmp_path, fmt):
    target = tmp_path / f"empty.{fmt}"
    run("--year", "2003", "--format", fmt, "--output", str(target))
    if fmt == "pdf":
        with pdfplumber.open(target) as pdf:
            text = pdf.pages[0].extract_text().replace("\n", "")
    elif fmt == "xlsx":
        text = " ".join(str(c.value) for row in load_workbook(target)["封面"].iter_rows() for c in row)
    else:
        text = target.read_bytes().decode("utf-8-sig")
    assert "2003 年度没有资金项目预算" in text


@pytest.mark.parametrize("year", ["1999", "2101", "abc", "20x6", ""])
def test_an_impossible_year_is_refused_in_chinese(world, tmp_path, year):
    target = tmp_path / "r.pdf"
    with pytest.raises(CommandError, match="年度必须是 2000 至 2100 之间的整数"):
        run("--year", year, "--format", "pdf", "--output", str(target))
    assert not any(tmp_path.iterdir())


def test_an_unknown_format_is_refused_in_chinese(world, tmp_path):
    with pytest.raises(CommandError, match="格式必须是 pdf、xlsx 或 csv"):
        run("--year", str(world.year), "--format", "docx", "--output", str(tmp_path / "r.docx"))
    assert not any(tmp_path.iterdir())


def test_an_unknown_region_is_refused_in_chinese(world, tmp_path):
    with pytest.raises(CommandError, match="未找到行政区划代码为 999999 的行政区"):
        run("--year", str(world.year), "--format", "csv", "--output", str(tmp_path / "r.csv"), "--region", "999999")


@pytest.mark.parametrize("where", ["missing_dir", "under_a_file", "a_directory"])
def test_an_unwritable_output_path_is_refused_and_nothing_is_left(populated, tmp_path, where):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    target = {
        "missing_dir": tmp_path / "no" / "such" / "r.pdf",
        "under_a_file": blocker / "r.pdf",
        "a_directory": tmp_path,
    }[where]
    with pytest.raises(CommandError, match="输出"):
        run("--year", str(populated.year), "--format", "pdf", "--output", str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    assert blocker.read_text() == "x"


def test_a_failed_render_leaves_the_previous_file_untouched(populated, tmp_path, monkeypatch):
    target = tmp_path / "r.csv"
    target.write_text("previous")

    def boom(report):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reports.services.renderer", lambda fmt: boom)
    with pytest.raises(OSError):
        run("--year", str(populated.year), "--format", "csv", "--output", str(target))
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_write_atomically_removes_its_temp_file_when_the_rename_fails(tmp_path, monkeypatch):
    def fail(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(services.Invalid, match="无法写入输出文件"):
        services.write_atomically(tmp_path / "r.pdf", b"%PDF")
    assert not any(tmp_path.iterdir())


def test_the_command_line_exits_non_zero_on_a_bad_year(tmp_path):
    result = subprocess.run(
        [sys.executable, str(MANAGE), "budget_report", "--year", "1999", "--format", "pdf",
         "--output", str(tmp_path / "r.pdf")],
        capture_output=True, text=True, env={**os.environ, "IPFUND_VAR_DIR": str(tmp_path / "var")}, timeout=60,
    )
    assert result.returncode != 0
    assert "年度必须是 2000 至 2100 之间的整数" in result.stderr
    assert not (tmp_path / "r.pdf").exists()
