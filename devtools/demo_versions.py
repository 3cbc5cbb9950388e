"""Demo rule versions with real bases and a dated history (issue #14): idempotent.

Written after the demo cases (which the seed approves by shortening the notice on the program's own
fields), so those cases stay judged by the rules they were submitted under.
"""

import datetime as dt

from applicants.models import User
from funding import rule_versions
from funding.models import Program, RuleVersion
from funding.workflow import ProgramCode

OPINION = {"basis_title": "关于进一步加强知识产权工作的实施意见", "basis_doc_no": "巫山县知识产权保护联席会议办公室 2022-02-07"}
# The documents by their numbers (domain notes §3); the Chongqing titles are not held here, so the
# basis names the issuing office rather than invent a title.
NATIONAL_2021 = {"basis_title": "国家知识产权局关于进一步严格规范专利申请行为的通知", "basis_doc_no": "国知发保字〔2021〕1号"}
CQ_2020 = {"basis_title": "重庆市知识产权局文件", "basis_doc_no": "渝知发〔2020〕21号"}
CQ_2025 = {"basis_title": "重庆市知识产权局文件", "basis_doc_no": "渝知发〔2025〕2号"}


def _history(year: int) -> dict[str, list[dict]]:
    """Per program: the versions after the pre-versioning rules, oldest first."""
    return {
        ProgramCode.APPLICATION_SUBSIDY: [
            {"effective_from": dt.date(2021, 7, 1), "effective_until": dt.date(2024, 12, 31),
             "basis": {**CQ_2020, "basis_article": "资助标准：国内发明专利 1,000 元/件"},
             "reason": "2021 年起只资助授权发明专利，资助合计不超过官费 50%（国知发保字〔2021〕1号）",
             "changes": {"fee_share": "0.5", "subsidy_trigger": "grant"}},
            {"effective_from": dt.date(2025, 1, 1), "effective_until": dt.date(year, 12, 31),
             "basis": {**CQ_2025, "basis_article": "重复资助的撤销并追回"},
             "reason": "2025 年授权资助过渡版本：同一专利只资助一次", "changes": {"grant_years_back": 1}},
            {"effective_from": dt.date(year + 1, 1, 1), "ends": True, "basis": {**NATIONAL_2021, "basis_article": "授权资助 2025 年前全面取消"},
             "reason": "授权资助退出，资金转向专利转化运用、专利奖和质押融资"},
        ],
        ProgramCode.INDUSTRIALIZATION: [
            {"effective_from": dt.date(2022, 2, 7), "basis": {**OPINION, "basis_article": "第10条、第27条"},
             "reason": "专利产业化资金", "changes": {"expert_review": True}},
        ],
        ProgramCode.PATENT_AWARD: [
            {"effective_from": dt.date(2022, 2, 7), "basis": {**OPINION, "basis_article": "第27条（专利奖）"},
             "reason": "专利奖", "changes": {"expert_review": True}},
        ],
        ProgramCode.INTEREST_SUBSIDY: [
            {"effective_from": dt.date(2025, 1, 1), "basis": {**CQ_2025, "basis_article": "知识产权质押贷款贴息"},
             "reason": "按实付利息的比例贴息", "changes": {"interest_basis": "paid"}},
        ],
        ProgramCode.RISK_COMPENSATION: [
            {"effective_from": dt.date(2025, 1, 1), "basis": {**CQ_2025, "basis_article": "知识产权质押融资风险补偿"},
             "reason": "风险补偿资金池分担本金损失", "changes": {}},
        ],
    }


def ensure_rule_versions(programs: dict[str, Program], admin: User, year: int) -> int:
    """The dated history of each demo program without versions yet; returns how many were written."""
    written = 0
    for code, versions in _history(year).items():
        program = programs.get(code)
        if program is None or RuleVersion.objects.filter(program=program).exists():
            continue
        for item in versions:
            rule_versions.version_create(
                by=admin, program=program, changes=item.get("changes", {}), effective_from=item["effective_from"],
                effective_until=item.get("effective_until"), ends=item.get("ends", False), basis=item["basis"],
                reason=item["reason"])
            written += 1
    return written
