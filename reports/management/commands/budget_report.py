"""budget_report --year YYYY --format pdf|xlsx|csv --output PATH [--region CODE]"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applicants.errors import DomainError
from reports import services


class Command(BaseCommand):
    help = "年度预算执行情况报告（PDF / XLSX / CSV）。"
    # A read-only report: skip the full system checks (seconds on a loaded host; `manage.py check` does them).
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        # Values are validated here, not by argparse, so every message is Chinese.
        parser.add_argument("--year", required=True, help="年度，如 2026")
        parser.add_argument("--format", dest="fmt", required=True, help="pdf、xlsx 或 csv")
        parser.add_argument("--output", required=True, help="输出文件路径")
        parser.add_argument("--region", default=None,
                            help=f"行政区划代码，默认 {settings.IPFUND_DEFAULT_REGION}")

    def handle(self, *args, year, fmt, output, region, **options) -> None:
        try:
            year_value = services.parse_year(year)
            fmt_value = services.parse_format(fmt)
            report = services.budget_report(year=year_value, region_code=region)
            content = services.render(report, fmt_value)
            target = services.write_atomically(output, content)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if report.notice:
            self.stderr.write(report.notice)
        self.stdout.write(f"已生成 {report.title}：{target}（{len(content):,} 字节）")
