"""Serializers of the funding API: shapes and types only; rules live in funding.services."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from funding import rule_versions
from funding.models import AwardLevel, Budget, Document, Program, ProgramRuleChange, Review, RuleVersion, TransitionLog
from funding.programs import handler_for
from funding.ruleset import DECIMAL_RULES, RULE_FIELDS
from funding.selectors import available_transitions
from funding.workflow import ProgramCode, State

from .common import FractionField, MoneyField, StrictFieldsMixin, StrictSerializer

VERSION_INPUTS = ("effective_from", "effective_until", "basis_title", "basis_doc_no", "basis_article", "basis_url")


class RuleVersionSerializer(serializers.ModelSerializer):
    basis = serializers.CharField(read_only=True, help_text="依据：《文件》（文号）条款")

    class Meta:
        model = RuleVersion
        fields = ["number", "effective_from", "effective_until", "ends", "basis", "basis_title", "basis_doc_no",
                  "basis_article", "basis_url", "rules", "reason", "at"]


class ProgramSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A program and its rules; as a PATCH body only the fields it names (unknown ones are a 400),
    money as decimal strings and shares as fractions (``"0.5000"``), never JSON numbers."""

    region = serializers.CharField(source="region.code", read_only=True)
    kind = serializers.CharField(source="code", read_only=True)
    name = serializers.CharField(read_only=True)
    cap_per_project = MoneyField(allow_negative=False, required=False, allow_null=True)
    cap_per_applicant_year = MoneyField(allow_negative=False, required=False, allow_null=True)
    fee_share = FractionField(required=False)
    first_tranche_share = FractionField(required=False)
    interest_ratio = FractionField(required=False)
    risk_share = FractionField(required=False)
    lpr_markup_cap = FractionField(required=False, allow_null=True)
    insured_interest_ratio = FractionField(required=False, allow_null=True)
    in_force = serializers.SerializerMethodField(help_text="今天是否有施行中的规则版本（否则不受理新申报）")
    version = serializers.SerializerMethodField(help_text="今天施行的规则版本及其依据")

    class Meta:
        model = Program
        fields = ["code", "kind", "name", "name_zh", "name_en", "region", "description", "is_open",
                  "publicity_days", "expert_review", "min_reviews", "cap_per_project", "cap_per_applicant_year",
                  "subsidy_standards", "fee_share", "grant_years_back", "award_levels", "first_tranche_share",
                  "interest_ratio", "risk_share", "required_documents", "ban_years", "publicity_day_kind",
                  "scoring_criteria", "subsidy_trigger", "interest_basis", "lpr_markup_cap", "insured_interest_ratio",
                  "first_pledge_only", "max_years_per_loan", "auto_subsidy_mode", "auto_subsidy_on", "in_force",
                  "version"]
        read_only_fields = ["code"]

    def get_in_force(self, program) -> bool:
        return rule_versions.status_on(program)["in_force"]

    @extend_schema_field(RuleVersionSerializer(allow_null=True))
    def get_version(self, program):
        version = rule_versions.version_on(program, timezone.localdate())
        return None if version is None else RuleVersionSerializer(version).data

    def to_representation(self, program):
        """The rule values of the version in force today (a scheduled version starts on its day)."""
        data = super().to_representation(program)
        rules = rule_versions.current_rules(program).as_json()
        for name in RULE_FIELDS:
            if name in data:
                data[name] = rules[name] if name not in DECIMAL_RULES or rules[name] is None \
                    else self.fields[name].to_representation(Decimal(rules[name]))
        return data


class ProgramUpdateSerializer(ProgramSerializer):
    """``PATCH /programs/{code}/``: the rules to change, and why (kept in the program's history); new
    rule values are a new version from ``effective_from`` (default today) citing the basis given."""

    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200,
                                   help_text="修改原因，记入规则变更记录")
    effective_from = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                           help_text="新规则施行日期 YYYY-MM-DD，默认今天")
    effective_until = serializers.CharField(write_only=True, required=False, allow_blank=True, allow_null=True)
    basis_title = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    basis_doc_no = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=60)
    basis_article = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=100)
    basis_url = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=300)

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "reason", *VERSION_INPUTS]
        read_only_fields = ["code", "in_force", "version"]


class RuleVersionInSerializer(StrictSerializer):
    """``POST /programs/{code}/versions/``: a dated version citing its basis; ``rules`` holds only the
    values that change (the rest carry over from the version in force on ``effective_from``)."""

    effective_from = serializers.CharField(help_text="施行日期 YYYY-MM-DD")
    effective_until = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    ends = serializers.BooleanField(required=False, default=False,
                                    help_text="true：自施行日期起本项目停止受理新申报（不含规则值）")
    basis_title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    basis_doc_no = serializers.CharField(required=False, allow_blank=True, max_length=60)
    basis_article = serializers.CharField(required=False, allow_blank=True, max_length=100)
    basis_url = serializers.CharField(required=False, allow_blank=True, max_length=300)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    rules = serializers.DictField(required=False, default=dict, help_text="改变的规则值，格式同 PATCH")


class BudgetSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code")
    program_name = serializers.CharField(source="program.name_zh")
    allocated = serializers.DecimalField(source="fig_allocated", max_digits=16, decimal_places=2)
    committed = serializers.DecimalField(source="fig_committed", max_digits=16, decimal_places=2)
    disbursed = serializers.DecimalField(source="fig_disbursed", max_digits=16, decimal_places=2)
    available = serializers.DecimalField(source="fig_available", max_digits=16, decimal_places=2)
    recovered = serializers.DecimalField(source="fig_recovered", max_digits=16, decimal_places=2)
    clawed_back = serializers.DecimalField(source="fig_clawed_back", max_digits=16, decimal_places=2,
                                           help_text="追回（已从已拨付中扣除）")

    class Meta:
        model = Budget
        fields = ["id", "program", "program_name", "year", "allocated", "committed", "disbursed", "available",
                  "recovered", "clawed_back"]


class AdjustmentInSerializer(StrictSerializer):
    program = serializers.ChoiceField(choices=ProgramCode.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    amount = MoneyField()
    reason = serializers.CharField(max_length=200)


class AdjustmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    program = serializers.CharField(source="budget.program.code")
    year = serializers.IntegerField(source="budget.year")
    kind = serializers.CharField()
    amount = serializers.SerializerMethodField()
    reason = serializers.CharField(source="memo")
    booked_on = serializers.DateField()

    def get_amount(self, entry) -> str:
        sign = "-" if entry.debit_account == "source" else ""
        return f"{sign}{entry.amount}"


class ApplicantRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ApplicationListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_no = serializers.CharField(read_only=True, allow_null=True,
                                    help_text="受理编号（如 WS-ZL-2026-0007），首次提交时生成；未提交为 null")
    program = serializers.CharField(source="program.code")
    applicant = ApplicantRefSerializer()
    claimant_bank = serializers.CharField(source="claimant_bank.code", allow_null=True, default=None)
    title = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=State.choices)
    state_display = serializers.CharField(source="get_state_display")
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    approved_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    disbursed_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    created_at = serializers.DateTimeField()


class ApplicationDetailSerializer(ApplicationListSerializer):
    available_transitions = serializers.SerializerMethodField()
    details = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    publicity_started_on = serializers.DateField(allow_null=True)
    publicity_ends_on = serializers.DateField(allow_null=True, help_text="公示截止日（含当日；次日起可批准）")
    proposed_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                               help_text="公示的拟资助金额：公示时的批准上限，不是申请金额")
    clawed_back_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    completion_grade = serializers.CharField(help_text="验收等级 excellent/good/pass；未验收为空")
    decided_at = serializers.DateTimeField(allow_null=True)
    accepted_after_completion = serializers.BooleanField()

    def get_available_transitions(self, app) -> list[str]:
        return available_transitions(app, self.context["request"].user)

    def get_details(self, app) -> dict:
        return handler_for(app.program.code).details(app)


class ApplicationCreateSerializer(StrictSerializer):
    """Common fields plus every program's own fields (each program's handler checks its own)."""

    program = serializers.ChoiceField(choices=ProgramCode.choices)
    title = serializers.CharField(max_length=200)
    requested_amount = MoneyField(positive=True, required=False, allow_null=True)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    # application_subsidy / industrialization
    patents = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=50)
    official_fees_paid = MoneyField(positive=True, required=False)
    # patent_award
    patent = serializers.CharField(max_length=40, required=False)
    level = serializers.ChoiceField(choices=AwardLevel.choices, required=False)
    # industrialization
    total_investment = MoneyField(positive=True, required=False)
    self_funding = MoneyField(allow_negative=False, required=False)
    expected_output_value = MoneyField(allow_negative=False, required=False)
    jobs = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    # interest_subsidy (pledges)
    loans = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100)
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)

    COMMON = ("program", "title", "requested_amount", "fiscal_year")

    def details(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k not in self.COMMON}


class ApplicationUpdateSerializer(ApplicationCreateSerializer):
    program = None
    fiscal_year = None  # fixed at creation: a PATCH naming it is refused (unknown field), not ignored
    title = serializers.CharField(max_length=200, required=False)


class OutcomesSerializer(StrictSerializer):
    output_value = MoneyField(allow_negative=False, required=False, help_text="实际产值（元）")
    jobs = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, help_text="实际新增就业")
    patents_implemented = serializers.IntegerField(min_value=0, max_value=10_000, required=False,
                                                   help_text="实施专利数")


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that stays absent when a form-encoded body leaves it out (DRF would read False),
    so a transition that does not take it is not sent it."""

    default_empty_html = empty


class TransitionInSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    approved_amount = MoneyField(positive=True, required=False)
    amount = MoneyField(positive=True, required=False)
    voucher_no = serializers.CharField(required=False, max_length=40)
    date = serializers.DateField(required=False, help_text="disburse：拨付日期（默认今天；不早于批准日，不晚于今天）")
    experts = serializers.ListField(child=serializers.CharField(max_length=150), required=False, max_length=50,
                                    help_text="send_to_review：指定的评审专家用户名；与 draw 只能选其一；"
                                              "都不填则分配本地区全部无须回避的专家")
    draw = OptionalBooleanField(required=False,
                                help_text="send_to_review：true 时从无须回避的专家中随机抽取所需评审数（min_reviews）"
                                          "名；抽取结果记入流转记录的 detail")
    grade = serializers.ChoiceField(choices=["excellent", "good", "pass"], required=False,
                                    help_text="pass_completion：验收等级 优秀/良好/合格")
    outcomes = OutcomesSerializer(required=False, help_text="submit_completion：项目实际成果")
    pledge_accepted = OptionalBooleanField(required=False,
                                           help_text="submit：申请人已阅读并同意诚信承诺书（可选；"
                                                     "是否同意及承诺书版本记入提交记录的 detail）")


class HistorySerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        model = TransitionLog
        fields = ["id", "transition", "from_state", "to_state", "by", "at", "comment", "amount", "voucher_no",
                  "detail"]
        extra_kwargs = {"amount": {"help_text": "该步骤涉及的金额（提交的申请额、公示的拟资助额、批准、拨付、"
                                                "撤销或终止释放的金额）；无则为 null"},
                        "voucher_no": {"help_text": "拨付凭证号；无则为 null"},
                        "detail": {"help_text": "该步骤记录的其他内容：提交时冻结的规则（rules）、验收成果（outcomes）、"
                                                "验收等级（grade）、成立的异议（objection）、送评审的专家（experts，"
                                                "随机抽取时 draw 为 true 并有抽取范围 pool）；无则为 null"}}


class ProgramRuleChangeSerializer(serializers.ModelSerializer):
    """One changed rule: ``old_value`` / ``new_value`` as stored (decimals as plain strings)."""

    by = serializers.CharField(source="by.username", allow_null=True, default=None)
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)

    class Meta:
        model = ProgramRuleChange
        fields = ["id", "field", "old_value", "new_value", "by", "at", "reason"]


class ReviewInSerializer(StrictSerializer):
    score = serializers.IntegerField(min_value=0, max_value=100, required=False,
                                     help_text="总分 0–100；按评分细则评分的项目可省略（由各项得分相加），"
                                               "填写时须等于各项之和")
    item_scores = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False,
                                        help_text="按评分细则（项目规则 scoring_criteria）逐项的得分 "
                                                  "{评分项代码: 0–该项满分}；未设评分细则的项目不填")
    recommended_amount = MoneyField(allow_negative=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class ReviewSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")

    class Meta:
        model = Review
        fields = ["id", "application", "expert", "round", "score", "item_scores", "recommended_amount", "comment",
                  "created_at"]
        extra_kwargs = {"item_scores": {"help_text": "逐项得分 {评分项代码: 得分}；未设评分细则为 null"}}


class DocumentInSerializer(StrictSerializer):
    kind = serializers.CharField(max_length=40)
    file = serializers.FileField(help_text=_("PDF、JPG 或 PNG"))


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "application", "kind", "original_name", "content_type", "size", "uploaded_at"]


class ClawbackInSerializer(StrictSerializer):
    amount = MoneyField(positive=True, help_text="追回金额，≤ 已拨付且未追回的金额")
    date = serializers.DateField(help_text="追回日期（收回国库或资金专户之日）")
    voucher_no = serializers.CharField(max_length=40, help_text="凭证号")
    reason = serializers.CharField(max_length=500, help_text="追回原因")
    fraud = serializers.BooleanField(default=False, help_text="以欺诈手段取得：申请人被限制申报本地区所有项目 ban_years 年")


class ClawbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    date = serializers.DateField()
    voucher_no = serializers.CharField()
    reason = serializers.CharField()
    fraud = serializers.BooleanField()
    by = serializers.CharField(source="by.username")
    at = serializers.DateTimeField()
    barred_until = serializers.SerializerMethodField()

    def get_barred_until(self, clawback) -> str | None:
        bar = getattr(clawback, "bar", None) if clawback.fraud else None
        return bar.until.isoformat() if bar is not None else None


class ObjectionInSerializer(StrictSerializer):
    name = serializers.CharField(max_length=50, help_text="异议人真实姓名")
    phone = serializers.CharField(max_length=20, help_text="联系电话")
    reason = serializers.CharField(max_length=2000, help_text="异议的事实和理由")


class ObjectionResolveSerializer(StrictSerializer):
    upheld = serializers.BooleanField(help_text="true：异议成立，退回重新审查；false：驳回，公示继续")
    comment = serializers.CharField(max_length=2000, help_text="处理意见")


class ObjectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    name = serializers.CharField()
    phone = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    upheld = serializers.BooleanField(allow_null=True)
    comment = serializers.CharField()


class ObjectionReceiptSerializer(serializers.Serializer):
    """What an objector gets back (no other objector's data)."""

    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    created_at = serializers.DateTimeField()
