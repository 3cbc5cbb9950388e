"""``manage.py generate_synthetic --applications N --loans M --seed S [--regions R] [--assets K]``."""

import time

from django.core.management.base import BaseCommand, CommandError

from devtools.synthetic import CHONGQING, generate


class Command(BaseCommand):
    help = "生成大规模合成数据（标识符均有效、账目一致），带进度条"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--applications", type=int, required=True, help="申请数")
        parser.add_argument("--loans", type=int, default=0, help="质押贷款数")
        parser.add_argument("--seed", type=int, default=1, help="随机种子")
        parser.add_argument("--regions", type=int, default=3, help=f"行政区数（含巫山县，最多 {len(CHONGQING) + 1}）")
        parser.add_argument("--assets", type=int, default=0, help="另加的未被申报的专利/商标数")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, applications: int, loans: int, seed: int, regions: int, assets: int,
               no_progress: bool, **options) -> None:
        if applications < 0 or loans < 0 or assets < 0:
            raise CommandError("数量不能为负数")
        if not 1 <= regions <= len(CHONGQING) + 1:
            raise CommandError(f"--regions 应在 1 到 {len(CHONGQING) + 1} 之间")
        started = time.monotonic()
        counts = generate(applications=applications, loans=loans, seed=seed, regions=regions, assets=assets,
                          progress=not no_progress and options.get("verbosity", 1) > 0)
        elapsed = time.monotonic() - started
        for name, n in sorted(counts.items()):
            self.stdout.write(f"  {name:24} {n:>10,}")
        self.stdout.write(f"完成：{sum(counts.values()):,} 行，用时 {elapsed:.1f} 秒")
