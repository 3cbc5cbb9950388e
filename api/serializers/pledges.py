"""Pledge loans over the API.

Output serializers give the contract's shapes (money as 2-decimal strings, rates as "0.0385",
identifiers normalized). The request serializers document the bodies in the OpenAPI schema and
check their shape (unknown fields, types); the field rules themselves (credit code, patent check
digits, rate as a fraction, dates…) live once in ``pledges`` and run in the services, so the API,
the pages and the admin agree.
"""

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import plain_decimal
from pledges.interest import SHARE_SHOWN, ip_share, ip_valuation
from pledges.models import LoanStatus, PledgedRight, PledgeLoan, Repayment
from pledges.pool import coverage_of
from pledges.pool_shares import parts_of_loan

from .common import FractionField, MoneyField, StrictSerializer


class RightSerializer(serializers.ModelSerializer):
    valuation = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = PledgedRight
        fields = ["kind", "number", "valuation"]
        read_only_fields = fields


class RepaymentSerializer(serializers.ModelSerializer):
    principal = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    interest = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Repayment
        fields = ["date", "principal", "interest"]
        read_only_fields = fields


class LoanSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=LoanStatus.choices, read_only=True)
    bank = serializers.CharField(source="bank.code", read_only=True, help_text="银行代码")
    bank_name = serializers.CharField(source="bank.name", read_only=True)
    borrower_credit_code = serializers.CharField(source="borrower.credit_code", read_only=True)
    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    principal = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    outstanding_principal = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    annual_rate = serializers.SerializerMethodField(help_text='年利率，小数字符串，如 "0.0385"')
    rights = RightSerializer(many=True, read_only=True)

    class Meta:
        model = PledgeLoan
        fields = [
            "id", "status", "bank", "bank_name", "contract_no", "borrower_credit_code", "borrower_name",
            "principal", "annual_rate", "start_date", "maturity_date", "pledge_registration_no",
            "outstanding_principal", "rights", "created_at",
        ]
        read_only_fields = fields

    def get_annual_rate(self, loan: PledgeLoan) -> str | None:
        # The contract's rate: a plain decimal string with at least 4 places (0.038500 → "0.0385").
        return None if loan.annual_rate is None else plain_decimal(loan.annual_rate, min_places=4)


class RiskCoverageSerializer(serializers.Serializer):
    pool = serializers.CharField(allow_null=True, help_text="借款企业所在地的风险补偿资金池；null：该地未设资金池，按原规则补偿")
    covered = serializers.BooleanField(help_text="是否纳入风险补偿（登记时按资金池放大倍数确定）")
    note = serializers.CharField(allow_blank=True, help_text="未纳入的原因，如“超出资金池放大倍数，未纳入风险补偿”")


class PoolPartSerializer(serializers.Serializer):
    funder = serializers.CharField(help_text="出资方")
    share = serializers.DecimalField(max_digits=6, decimal_places=4, help_text="出资方现行分担比例")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="该出资方承担（或分回）的金额")


class PoolShareSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["compensation", "recovery"], help_text="compensation：风险补偿拨付；recovery：追偿回收分回")
    recovery = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="回收记录 ID")
    date = serializers.CharField(required=False, allow_null=True, default=None, help_text="回收日")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="各出资方金额之和")
    parts = PoolPartSerializer(many=True)


class LoanDetailSerializer(LoanSerializer):
    repayments = RepaymentSerializer(many=True, read_only=True)
    risk_coverage = serializers.SerializerMethodField(help_text="风险补偿资金池覆盖情况")
    pool_shares = serializers.SerializerMethodField(help_text="资金池各出资方对补偿拨付与追偿回收的分担")
    collateral_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True,
                                                help_text="抵质押物总价值；null 表示仅以知识产权质押")
    insured_or_guaranteed = serializers.BooleanField(read_only=True)
    ip_valuation = serializers.SerializerMethodField(help_text="质押知识产权的评估价值合计")
    ip_share = serializers.SerializerMethodField(
        help_text='知识产权占比 min(1, ip_valuation ÷ collateral_total)，小数字符串，四位小数，如 "0.6000"')

    class Meta(LoanSerializer.Meta):
        fields = [*LoanSerializer.Meta.fields[:-1], "collateral_total", "insured_or_guaranteed", "ip_valuation",
                  "ip_share", "risk_coverage", "pool_shares", "repayments", "created_at"]
        read_only_fields = fields

    @extend_schema_field(RiskCoverageSerializer)
    def get_risk_coverage(self, loan: PledgeLoan) -> dict:
        return coverage_of(loan).as_json()

    @extend_schema_field(PoolShareSerializer(many=True))
    def get_pool_shares(self, loan: PledgeLoan) -> list:
        return PoolShareSerializer(parts_of_loan(loan), many=True).data

    def get_ip_valuation(self, loan: PledgeLoan) -> str:
        return format(ip_valuation(loan), "f")

    def get_ip_share(self, loan: PledgeLoan) -> str:
        # Shown to four places; the formula (pledges.interest) keeps the exact quotient.
        return format(ip_share(loan).quantize(SHARE_SHOWN, rounding=ROUND_HALF_UP), "f")


class RecoveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    loan = serializers.IntegerField(source="loan_id")
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    pool_share = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="按分担比例分回资金池的金额")


# --- request bodies ---------------------------------------------------------------------------
# The views validate each body with these for shape (unknown fields, types; money as decimal strings
# parsed by core.money, never JSON numbers) before the service runs; the rules themselves (credit
# code, check digits, ranges, dates…) live in ``pledges`` and run in the services.

class RightInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=PledgedRight.Kind.choices)
    number = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                   help_text="专利号（ZL/CN 前缀、点可省略）或商标注册号（纯数字）")
    valuation = MoneyField(positive=True, help_text='评估价值，如 "4500000.00"，> 0')


class LoanRegisterSerializer(StrictSerializer):
    contract_no = serializers.CharField(max_length=60, allow_blank=True, trim_whitespace=False,
                                        help_text="合同编号，同一银行内唯一")
    borrower_credit_code = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                                 help_text="借款企业统一社会信用代码（18 位，含校验位）")
    borrower_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False,
                                          help_text="企业名称；信用代码首次出现时必填")
    principal = MoneyField(positive=True, help_text='贷款本金，如 "3000000.00"，> 0，最多 2 位小数')
    annual_rate = FractionField(places=6, high=Decimal("100"), what="年利率",
                                help_text='年利率小数，0 < r < 1，如 "0.0385"（不是 3.85）')
    start_date = serializers.DateField()
    maturity_date = serializers.DateField(help_text="须晚于 start_date")
    pledge_registration_no = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                                   help_text="质押登记号：13 位以上数字，或新格式字母数字（≤ 40）")
    rights = RightInSerializer(many=True, help_text="至少一项；同一请求内不得重复")
    collateral_total = MoneyField(positive=True, required=False, allow_null=True,
                                  help_text='抵质押物总价值（含知识产权和其他抵质押物），如 "7500000.00"；'
                                            '不低于 rights 的评估价值合计；不填表示仅以知识产权质押')
    insured_or_guaranteed = serializers.BooleanField(required=False,
                                                     help_text="贷款有保险或担保（部分地区贴息比例不同），默认 false")


class RepaymentInSerializer(StrictSerializer):
    date = serializers.DateField()
    principal = MoneyField(allow_negative=False, help_text='归还本金，≥ 0，不超过贷款余额，如 "100000.00"')
    interest = MoneyField(allow_negative=False, help_text='支付利息，≥ 0，如 "9625.00"')


class SettleInSerializer(StrictSerializer):
    date = serializers.DateField(required=False, allow_null=True, help_text="结清日，默认今天")


class DefaultInSerializer(StrictSerializer):
    date = serializers.DateField()
    outstanding_principal = MoneyField(positive=True, help_text="违约时贷款余额，> 0，不超过还款后的余额")


class RecoveryInSerializer(StrictSerializer):
    date = serializers.DateField()
    amount = MoneyField(positive=True, help_text="追偿回收金额，> 0；累计不超过违约时余额")
