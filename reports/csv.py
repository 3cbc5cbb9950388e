"""The report as one CSV table (UTF-8 with BOM, so Excel opens it): a row per cell of every section.

Columns: section (key), 分组 (section title), 项目 (the row's label), 指标 (column header), 数值.
Money is written with two decimals and no thousands separators so it stays machine-readable.
"""

import csv
import io

from .document import TEXT, Report, format_cell, spreadsheet_text

HEADER = ["section", "分组", "项目", "指标", "数值"]


def render_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["cover", "封面", report.title, "行政区", f"{report.region_name}（{report.region_code}）"])
    writer.writerow(["cover", "封面", report.title, "报告日期", report.generated_on.isoformat()])
    if report.notice:
        writer.writerow(["cover", "封面", report.title, "说明", report.notice])
    for section in report.sections:
        rows = section.rows()
        total = section.total_row()
        if total is not None and rows:
            rows = [*rows, total]
        if not rows:
            writer.writerow([section.key, section.title, "", "", "无数据"])
        label_index = next((i for i, c in enumerate(section.columns) if c.kind == "text"), 0)
        for row in rows:
            label = format_cell(row[label_index], section.columns[label_index].kind, thousands=False)
            prefix = [format_cell(row[i], section.columns[i].kind, thousands=False) for i in range(label_index)]
            label = spreadsheet_text(" ".join([*prefix, label]).strip())
            for i, (value, column) in enumerate(zip(row, section.columns, strict=True)):
                if i <= label_index:
                    continue
                text = format_cell(value, column.kind, thousands=False)
                writer.writerow([section.key, section.title, label, column.header,
                                 spreadsheet_text(text) if column.kind == TEXT else text])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
