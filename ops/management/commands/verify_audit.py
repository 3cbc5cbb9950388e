"""``manage.py verify_audit``: recompute the audit hash chains; exit 0 when intact, 1 with each finding."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core import audit_chain, audit_sweep

SWEEP_LOCK_TIMEOUT_MS = 10_000  # a head held longer (a stuck sealing, an SQL session) is reported, not waited on


class Command(BaseCommand):
    help = ("Recompute the tamper-evident audit chains (transition log, loan events); exit 0 when intact, "
            "1 with each edited, deleted, inserted or unchained row printed.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal-unchained", action="store_true",
            help="First chain rows that bulk loaders wrote without a link (in id order), then verify. "
                 "Only for trusted loads such as generate_synthetic: it vouches for those rows.",
        )

        parser.add_argument(
            "--no-seal", action="store_true",
            help="Write nothing (a read-only role, a replica): committed rows still waiting to be sealed "
                 "are counted, not sealed, and not findings.",
        )

    def handle(self, *args, **options):
        CHAINS = audit_chain.registered()
        # Committed rows whose writer stopped between its commit and their sealing (core.audit_seal):
        # only rows with a valid ticket are linked; the others stay findings below.
        pending, failures = (0, []) if options["no_seal"] else audit_sweep.seal_pending_all(
            CHAINS, lock_timeout_ms=SWEEP_LOCK_TIMEOUT_MS)
        if pending:
            self.stdout.write(_("已将 %(n)d 条已提交的记录补入链（写入后尚未入链）") % {"n": pending})
        if options["seal_unchained"]:
            for chain in CHAINS:
                sealed = audit_chain.seal_unchained(chain)
                if sealed:
                    self.stdout.write(_("%(chain)s：已将 %(n)d 条未入链记录补入链") % {"chain": chain.label, "n": sealed})
        findings = [_("%(chain)s：无法将已提交的记录补入链（%(why)s）") % {"chain": chain.label, "why": why}
                    + audit_chain.stream_note(stream) for chain, stream, why in failures]
        waiting = [_("%(chain)s：%(n)d 条已提交的记录仍未入链，其删除将无迹可查") % {"chain": chain.label, "n": n}
                   + audit_chain.stream_note(stream) for chain, stream, n in audit_sweep.unsealed(CHAINS)]
        if options["no_seal"]:
            for line in waiting:
                self.stdout.write(line + _("（未补入：--no-seal）"))
        else:
            findings += waiting
        findings += audit_chain.verify_all(CHAINS)
        for chain in CHAINS:
            for stream, seq, digest in audit_chain.heads_of(chain) or [("", 0, audit_chain.GENESIS)]:
                self.stdout.write(_("%(chain)s：共 %(n)d 条，链尾哈希 %(hash)s") % {"chain": chain.label, "n": seq, "hash": digest}
                                  + audit_chain.stream_note(stream))
        if not findings:
            self.stdout.write(self.style.SUCCESS(_("审计记录核对无误")))
            return
        for finding in findings:
            self.stdout.write(finding)
        sys.stdout.flush()
        raise CommandError(_("发现 %(n)d 处审计记录问题") % {"n": len(findings)}, returncode=1)
