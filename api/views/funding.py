"""Funding API views: each validates shape, calls one service or selector, and serializes."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from applicants.errors import Invalid, NotFound
from funding import counts, rule_versions, selectors, services
from funding.filters import ApplicationFilter
from funding.models import Application, Budget, Document, ProgramRuleChange, Review, TransitionLog
from funding.workflow import transition_named

from .. import readers
from ..parsers import CleanFormParser, CleanMultiPartParser
from ..readers import applications as application_reader
from ..serializers.common import error_responses
from ..serializers.funding import (
    VERSION_INPUTS,
    AdjustmentInSerializer,
    AdjustmentOutSerializer,
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationListSerializer,
    ApplicationUpdateSerializer,
    BudgetSerializer,
    DocumentInSerializer,
    DocumentSerializer,
    HistorySerializer,
    ProgramRuleChangeSerializer,
    ProgramSerializer,
    ProgramUpdateSerializer,
    ReviewInSerializer,
    ReviewSerializer,
    RuleVersionInSerializer,
    RuleVersionSerializer,
    TransitionInSerializer,
)

# Who reads budgets: the staff the budgets page admits (experts review cases, not budgets).


def _program_or_404(request, code: str):
    """The program ``code`` the caller sees; a user of no region (a national superuser) who sees several
    names the region with ``?region=<行政区划代码>`` (400 otherwise, never a 500)."""
    programs = selectors.programs_for(request.user).filter(code=code)
    region = request.query_params.get("region")
    if region:
        programs = programs.filter(region__code=str(region)[:12])
    found = list(programs[:2])
    if not found:
        raise NotFound(_("资金项目不存在"))
    if len(found) > 1:
        raise Invalid(_("多个行政区都有该资金项目：请用 region 参数指明行政区划代码"), field="region")
    return found[0]


def _detail(request, app: Application, code: int = 200, *, fresh: bool = False) -> Response:
    """The case as the caller sees it: re-read unless ``fresh`` (read just now, or the transition's
    locked and saved instance, which no later statement of its transaction changes: tests/api/helpers.go
    compares every transition's body with a fresh GET)."""
    if not fresh:
        app = selectors.application_for(request.user, app.pk)
    return Response(ApplicationDetailSerializer(app, context={"request": request}).data, status=code)


class ProgramList(generics.ListAPIView):
    """Paginated like every list (``{"count", "next", "previous", "results"}``)."""

    serializer_class = ProgramSerializer

    def get_queryset(self):
        return selectors.programs_for(self.request.user).order_by("code")

    @extend_schema(responses={200: ProgramSerializer(many=True), **error_responses(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProgramDetail(APIView):
    @extend_schema(responses={200: ProgramSerializer, **error_responses(404)})
    def get(self, request, code: str):
        program = _program_or_404(request, code)
        return Response(ProgramSerializer(program).data)

    @extend_schema(request=ProgramUpdateSerializer,
                   responses={200: ProgramSerializer, **error_responses(400, 403, 404, 409)})
    def patch(self, request, code: str):
        services.require_rule_editor(request.user)  # 403 before the body is looked at
        program = _program_or_404(request, code)
        serializer = ProgramUpdateSerializer(program, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason", "")
        version = {name: changes.pop(name) for name in VERSION_INPUTS if name in changes}
        program = services.program_update(by=request.user, program=program, changes=changes, reason=reason,
                                          version=version)
        return Response(ProgramSerializer(program).data)


class ProgramVersions(APIView):
    """A program's dated rule versions, oldest first (anyone who sees the program); admins add one."""

    @extend_schema(responses={200: inline_serializer("RuleVersionList", {
        "count": serializers.IntegerField(), "results": RuleVersionSerializer(many=True)}), **error_responses(401, 404)})
    def get(self, request, code: str):
        program = _program_or_404(request, code)
        versions = program.rule_versions.order_by("number")
        return Response({"count": versions.count(), "results": RuleVersionSerializer(versions, many=True).data})

    @extend_schema(request=RuleVersionInSerializer,
                   responses={201: RuleVersionSerializer, **error_responses(400, 403, 404, 409)})
    def post(self, request, code: str):
        services.require_rule_editor(request.user)  # 403 before the body is looked at
        program = _program_or_404(request, code)
        serializer = RuleVersionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = dict(serializer.validated_data)
        version = rule_versions.version_create(
            by=request.user, program=program, changes=d.pop("rules", {}), effective_from=d.pop("effective_from"),
            effective_until=d.pop("effective_until", None), ends=d.pop("ends", False), reason=d.pop("reason", ""),
            basis=d,
        )
        return Response(RuleVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class ProgramHistory(generics.ListAPIView):
    """Every change of a program's rules, newest first (staff of the program's region)."""

    serializer_class = ProgramRuleChangeSerializer

    @extend_schema(responses={200: ProgramRuleChangeSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProgramRuleChange.objects.none()
        return selectors.program_rule_history(self.request.user, self.kwargs["code"])


class BudgetList(generics.ListAPIView):
    serializer_class = BudgetSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses={200: BudgetSerializer(many=True),
                                                                          **error_responses(400, 403)})
    def get(self, request, *args, **kwargs):
        selectors.require_budget_reader(request.user)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Budget.objects.none()
        year = self.request.query_params.get("year")
        return selectors.budgets_for(self.request.user, int(year) if year and year.isdigit() else None)


class BudgetAdjustmentCreate(APIView):
    @extend_schema(request=AdjustmentInSerializer, responses={201: AdjustmentOutSerializer,
                                                              **error_responses(400, 403, 409)})
    def post(self, request):
        services.require_budget_adjuster(request.user)  # 403 before the body is looked at
        serializer = AdjustmentInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        entry = services.budget_adjust(by=request.user, program_code=d["program"], year=d["year"],
                                       amount=d["amount"], reason=d["reason"])
        return Response(AdjustmentOutSerializer(entry).data, status=status.HTTP_201_CREATED)


class ApplicationListCreate(generics.ListAPIView):
    serializer_class = ApplicationListSerializer
    filterset_class = ApplicationFilter

    def get_queryset(self):
        return selectors.application_list(self.request.user)

    def list(self, request, *args, **kwargs):
        filters = None
        if readers.enabled():
            filters = readers.taken_filters(ApplicationFilter, request, application_reader.TAKEN, Application)
        if not application_reader.takes(filters):
            return super().list(request, *args, **kwargs)  # the ORM path: a text search, an odd year
        return readers.paginated(self, request, lambda size: application_reader.application_rows(
            request.user, request, size, filters))

    def known_count(self, request) -> int | None:
        """Staff lists filtered by program, state and year only: the counters (funding.counts)."""
        return counts.visible_count(request.user, request.query_params)

    @extend_schema(responses={200: ApplicationListSerializer(many=True), **error_responses(400)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationDetailSerializer,
                                                                   **error_responses(400, 403, 409)})
    def post(self, request):
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        app = services.application_create(by=request.user, program_code=d["program"], title=d["title"],
                                          requested_amount=d.get("requested_amount"), details=serializer.details(),
                                          fiscal_year=d.get("fiscal_year"))
        return _detail(request, app, status.HTTP_201_CREATED)


class ApplicationDetail(APIView):
    @extend_schema(responses={200: ApplicationDetailSerializer, **error_responses(404)})
    def get(self, request, pk: int):
        return _detail(request, selectors.application_for(request.user, pk), fresh=True)

    @extend_schema(request=ApplicationUpdateSerializer, responses={200: ApplicationDetailSerializer,
                                                                   **error_responses(400, 403, 404, 409)})
    def patch(self, request, pk: int):
        serializer = ApplicationUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        details = serializer.details()
        app = services.application_update_draft(application_id=pk, by=request.user, title=d.get("title"),
                                                requested_amount=d.get("requested_amount"),
                                                details=details or None)
        return _detail(request, app)


class ApplicationTransition(APIView):
    @extend_schema(request=TransitionInSerializer, responses={200: ApplicationDetailSerializer,
                                                              **error_responses(400, 403, 404, 409)})
    def post(self, request, pk: int, name: str):
        transition_named(name)  # 404 before the body is looked at
        serializer = TransitionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        comment = data.pop("comment", "")
        app = services.application_transition(application_id=pk, name=name, by=request.user, comment=comment,
                                              data=data)
        return _detail(request, app, fresh=True)


class ApplicationHistory(generics.ListAPIView):
    serializer_class = HistorySerializer

    @extend_schema(responses={200: HistorySerializer(many=True), **error_responses(404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TransitionLog.objects.none()
        return selectors.application_history(selectors.application_for(self.request.user, self.kwargs["pk"]))


class ApplicationReviews(generics.ListAPIView):
    serializer_class = ReviewSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        app = selectors.application_for(self.request.user, self.kwargs["pk"])
        return selectors.reviews_visible_to(self.request.user, app)

    @extend_schema(responses={200: ReviewSerializer(many=True), **error_responses(404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ReviewInSerializer, responses={201: ReviewSerializer, **error_responses(400, 403, 404, 409)})
    def post(self, request, pk: int):
        serializer = ReviewInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        review = services.review_submit(application_id=pk, by=request.user, score=d.get("score"),
                                        item_scores=d.get("item_scores"),
                                        recommended_amount=d["recommended_amount"], comment=d["comment"])
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class DocumentUpload(APIView):
    parser_classes = [CleanMultiPartParser, CleanFormParser]

    @extend_schema(request={"multipart/form-data": DocumentInSerializer},
                   responses={201: DocumentSerializer, **error_responses(400, 403, 404, 409)})
    def post(self, request, pk: int):
        serializer = DocumentInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doc = services.document_attach(application_id=pk, by=request.user, kind=serializer.validated_data["kind"],
                                       uploaded_file=serializer.validated_data["file"])
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)


class DocumentDownload(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY,
                              (200, "image/png"): OpenApiTypes.BINARY, **error_responses(404)})
    def get(self, request, pk: int, doc_id: int):
        app = selectors.application_for(request.user, pk)
        doc = Document.objects.filter(application=app, pk=doc_id).first()
        if doc is None:
            raise NotFound("材料不存在")
        return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                            content_type=doc.content_type)
