import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from funding.verify import ledger_violations


class Command(BaseCommand):
    help = "Check every money invariant of the ledger; exit 0 when clean, 1 with each violation printed."

    def handle(self, *args, **options):
        problems = ledger_violations()
        if not problems:
            self.stdout.write(self.style.SUCCESS(_("账目核对无误")))
            return
        for problem in problems:
            self.stdout.write(problem)
        sys.stdout.flush()
        raise CommandError(_("发现 %(n)d 处账目问题") % {"n": len(problems)}, returncode=1)
