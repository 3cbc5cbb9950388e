"""``/api/v1/pledges/``: partner banks register and update their pledge loans.

A bank sees and changes only its own loans (another bank's id is 404); fin_center, finance and
admin staff may read their region's loans. Every POST goes through ``pledges.idempotency``.
"""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import readers
from api.readers import pledges as loan_reader
from api.serializers.common import error_responses, flat_errors
from api.serializers.pledges import (
    DefaultInSerializer,
    LoanDetailSerializer,
    LoanRegisterSerializer,
    LoanSerializer,
    RecoveryInSerializer,
    RecoveryOutSerializer,
    RepaymentInSerializer,
    RepaymentSerializer,
    SettleInSerializer,
)
from applicants.errors import Invalid
from applicants.identifiers import normalize
from applicants.models import Role
from pledges import selectors, services
from pledges.idempotency import run_idempotent
from pledges.models import LoanStatus, PledgeLoan

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key", type=OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False,
    description="可选。同一 Key 与相同请求体的重试返回首次的响应（状态码与 JSON 相同），不会重复登记；"
    "同一 Key 用于不同请求体返回 409 idempotency_key_reused。Key 按银行区分，至少保留 24 小时。",
)
REUSED_409 = OpenApiResponse(
    description="冲突：invalid_state（当前状态不允许）、idempotency_key_reused、concurrent_modification 等",
    response=error_responses(409)[409].response,
)


class MaySeeLoans(permissions.BasePermission):
    message = _("无权查看质押贷款")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return selectors.may_see_loans(request.user)
        return request.user.has_role(Role.BANK) and request.user.bank_id is not None


class LoanFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=LoanStatus.choices)
    borrower_credit_code = filters.CharFilter(method="filter_credit_code", help_text="借款企业统一社会信用代码")
    start_date_after = filters.DateFilter(field_name="start_date", lookup_expr="gte", help_text="放款日不早于")
    start_date_before = filters.DateFilter(field_name="start_date", lookup_expr="lte", help_text="放款日不晚于")

    class Meta:
        model = PledgeLoan
        fields = ["status", "borrower_credit_code", "start_date_after", "start_date_before"]

    def filter_credit_code(self, queryset, name, value):
        return queryset.filter(borrower__credit_code=normalize(value))


def _bank_post(request, call) -> Response:
    """Run a bank's POST once per Idempotency-Key; ``call`` returns (status, body)."""
    outcome_status, body = run_idempotent(
        bank=request.user.bank, key=request.headers.get("Idempotency-Key"), method=request.method,
        path=request.path, body=request.data, call=call,
    )
    return Response(body, status=outcome_status)


def _check_shape(serializer_class, data) -> dict:
    """The body's shape and types (unknown fields, money as decimal strings, dates) checked by the input
    serializer before the service runs its rules; returns the typed values for the service's keyword
    arguments. Raised as a domain error so that a refused request is replayed like any other."""
    serializer = serializer_class(data=data if data is not None else {})
    if not serializer.is_valid():
        errors = flat_errors(serializer.errors)
        raise Invalid(next((m for messages in errors.values() for m in messages), ""), errors=errors)
    return dict(serializer.validated_data)


def _loan_json(user, loan_id: int) -> dict:
    if readers.enabled():
        return loan_reader.loan_detail(user, loan_id)
    return LoanDetailSerializer(selectors.loan_for(user, loan_id)).data


# The list's filters its reader takes (all of LoanFilter's).
READER_FILTERS = frozenset({"status", "borrower_credit_code", "start_date_after", "start_date_before"})


class LoanListCreate(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, MaySeeLoans]
    serializer_class = LoanSerializer
    filterset_class = LoanFilter

    def get_queryset(self):
        return selectors.loan_list(self.request.user)

    def list(self, request, *args, **kwargs):
        filters = readers.taken_filters(LoanFilter, request, READER_FILTERS, PledgeLoan) if readers.enabled() else None
        if filters is None:
            return super().list(request, *args, **kwargs)
        return readers.paginated(self, request, lambda size: loan_reader.loan_rows(request.user, request, size,
                                                                                    filters))

    @extend_schema(summary="质押贷款列表（本行）", responses={200: LoanSerializer(many=True),
                                                   **error_responses(400, 401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="登记质押贷款", parameters=[IDEMPOTENCY_HEADER], request=LoanRegisterSerializer,
        responses={201: LoanDetailSerializer, **error_responses(400, 401, 403),
                   409: OpenApiResponse(
                       description="duplicate_contract（本行合同编号重复）、right_already_pledged（权利已在有效质押中）、"
                       "idempotency_key_reused", response=error_responses(409)[409].response)},
    )
    def post(self, request, *args, **kwargs):
        def call():
            loan = services.loan_register(by=request.user, **_check_shape(LoanRegisterSerializer, request.data))
            return status.HTTP_201_CREATED, _loan_json(request.user, loan.pk)

        return _bank_post(request, call)


class LoanDetail(generics.RetrieveAPIView):
    permission_classes = [permissions.IsAuthenticated, MaySeeLoans]
    serializer_class = LoanDetailSerializer

    @extend_schema(summary="质押贷款详情（含质押权利与还款）",
                   responses={200: LoanDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(_loan_json(request.user, pk))


class _LoanAction(APIView):
    permission_classes = [permissions.IsAuthenticated, MaySeeLoans]


class LoanRepayments(_LoanAction):
    @extend_schema(summary="登记还款", parameters=[IDEMPOTENCY_HEADER], request=RepaymentInSerializer,
                   responses={201: RepaymentSerializer, **error_responses(400, 401, 403, 404), 409: REUSED_409})
    def post(self, request, pk: int):
        def call():
            repayment = services.repayment_record(by=request.user, loan_id=pk,
                                                  **_check_shape(RepaymentInSerializer, request.data))
            return status.HTTP_201_CREATED, RepaymentSerializer(repayment).data

        return _bank_post(request, call)


class LoanSettle(_LoanAction):
    @extend_schema(summary="结清贷款（释放质押权利）", parameters=[IDEMPOTENCY_HEADER], request=SettleInSerializer,
                   responses={200: LoanDetailSerializer, **error_responses(400, 401, 403, 404), 409: REUSED_409})
    def post(self, request, pk: int):
        def call():
            services.loan_settle(by=request.user, loan_id=pk, **_check_shape(SettleInSerializer, request.data))
            return status.HTTP_200_OK, _loan_json(request.user, pk)

        return _bank_post(request, call)


class LoanDefault(_LoanAction):
    @extend_schema(summary="登记违约（自动提交风险补偿申请）", parameters=[IDEMPOTENCY_HEADER],
                   request=DefaultInSerializer,
                   responses={200: LoanDetailSerializer, **error_responses(400, 401, 403, 404), 409: REUSED_409})
    def post(self, request, pk: int):
        def call():
            services.loan_default(by=request.user, loan_id=pk, **_check_shape(DefaultInSerializer, request.data))
            return status.HTTP_200_OK, _loan_json(request.user, pk)

        return _bank_post(request, call)


class LoanRecoveries(_LoanAction):
    @extend_schema(summary="登记追偿回收（资金池分回）", parameters=[IDEMPOTENCY_HEADER], request=RecoveryInSerializer,
                   responses={201: RecoveryOutSerializer, **error_responses(400, 401, 403, 404), 409: REUSED_409})
    def post(self, request, pk: int):
        def call():
            recovery = services.recovery_record(by=request.user, loan_id=pk,
                                                **_check_shape(RecoveryInSerializer, request.data))
            return status.HTTP_201_CREATED, RecoveryOutSerializer(recovery).data

        return _bank_post(request, call)
