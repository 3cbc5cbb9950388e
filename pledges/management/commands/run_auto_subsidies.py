"""Daily (cron or a scheduled task): open the 免申即享 interest-subsidy cases of every program whose
run day (rule ``auto_subsidy_on``) is today; ``--program-id``/``--year`` run one program by hand."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import Conflict, Invalid, NotAllowed
from funding.models import Program
from pledges.auto_subsidy import auto_subsidy_run, due_programs, runner_for


class Command(BaseCommand):
    help = "免申即享：按银行报送数据生成上一年度的质押贷款贴息案件（到计算日的项目；可重复运行，不会重复生成）"

    def add_arguments(self, parser):
        parser.add_argument("--program-id", type=int, help="只运行这个资金项目（不看计算日）")
        parser.add_argument("--year", type=int, help="贴息年度，默认上一年")

    def handle(self, *args, **options):
        if options["program_id"]:
            programs = list(Program.objects.filter(pk=options["program_id"]))
            if not programs:
                raise CommandError(f"没有 ID 为 {options['program_id']} 的资金项目")
        else:
            programs = due_programs()
        for program in programs:
            runner = runner_for(program)
            if runner is None:
                self.stderr.write(f"{program.region} {program}：没有金融服务中心用户，跳过")
                continue
            try:
                run = auto_subsidy_run(by=runner, program=program, year=options["year"])
            except (Invalid, Conflict, NotAllowed) as exc:
                raise CommandError(f"{program.region} {program}：{exc.message}") from exc
            self.stdout.write(f"{program.region} {program} {run.year} 年度：新建 {run.created} 件，跳过 {run.skipped} 笔贷款")
        if not programs:
            self.stdout.write("今天没有到计算日的免申即享项目")
