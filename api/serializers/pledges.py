"""Pledge loans over the API.

Output serializers give the contract's shapes (money as 2-decimal strings, rates as "0.0385",
identifiers normalized). The request serializers document the bodies in the OpenAPI schema and
check their shape (unknown fields, types); the field rules themselves (credit code, patent check
digits, rate as a fraction, dates…) live once in ``pledges`` and run in the services, so the API,
the pages and the admin agree.
"""

from decimal import Decimal

from rest_framework import serializers

from core.money import plain_decimal
from pledges.models import LoanStatus, PledgedRight, PledgeLoan, Repayment

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


class LoanDetailSerializer(LoanSerializer):
    repayments = RepaymentSerializer(many=True, read_only=True)

    class Meta(LoanSerializer.Meta):
        fields = [*LoanSerializer.Meta.fields[:-1], "repayments", "created_at"]
        read_only_fields = fields


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
