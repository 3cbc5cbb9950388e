"""manage.py verify_audit: exit 0 when the chains are intact, 1 with each finding in Chinese."""

from io import StringIO

import pytest
from django.core.management import call_command

from funding.models import TransitionLog
from pledges.models import LoanEvent
from tests.audit.helpers import approved_subsidy, findings, loan_with_events, run_verify_audit

pytestmark = pytest.mark.django_db


def test_verify_audit_exits_0_on_intact_chains(world):
    approved_subsidy(world)
    loan_with_events(world)
    code, out = run_verify_audit()
    assert code == 0
    assert "审计记录核对无误" in out and "链尾哈希" in out


def test_verify_audit_exits_1_and_prints_each_finding(world):
    approved_subsidy(world)
    loan_with_events(world)
    TransitionLog.objects.filter(seq=1).update(by=world.admin)
    LoanEvent.objects.filter(seq=1).delete()
    code, out = run_verify_audit()
    assert code == 1
    assert "申请流转记录：记录" in out and "已被篡改" in out
    assert "贷款事件记录：缺少序号 1–1 的记录" in out
    assert "发现 3 处审计记录问题" in out  # the edit; the gap and the broken link after it


def test_seal_unchained_option_vouches_for_bulk_loaded_rows(world):
    app = approved_subsidy(world)
    TransitionLog.objects.bulk_create([TransitionLog(application=app, transition="approve", from_state="publicity",
                                                     to_state="approved")])
    assert run_verify_audit()[0] == 1
    code, out = run_verify_audit("--seal-unchained")
    assert code == 0 and "已将 1 条未入链记录补入链" in out


def test_verify_audit_is_clean_after_seed_demo():
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert TransitionLog.objects.exists() and LoanEvent.objects.exists()
    assert findings() == []
    assert run_verify_audit()[0] == 0
