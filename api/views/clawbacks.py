"""追回 over the API: ``/api/v1/applications/{id}/clawbacks/`` (finance of the case's region)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from funding import clawbacks, selectors
from funding.models import Clawback

from ..serializers.common import error_responses
from ..serializers.funding import ClawbackInSerializer, ClawbackSerializer


class ApplicationClawbacks(generics.ListAPIView):
    serializer_class = ClawbackSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Clawback.objects.none()
        app = selectors.application_for(self.request.user, self.kwargs["pk"])
        return selectors.clawbacks_of(self.request.user, app)

    @extend_schema(responses={200: ClawbackSerializer(many=True), **error_responses(403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ClawbackInSerializer, responses={201: ClawbackSerializer,
                                                            **error_responses(400, 403, 404, 409)})
    def post(self, request, pk: int):
        serializer = ClawbackInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clawback = clawbacks.clawback_record(by=request.user, application_id=pk, **serializer.validated_data)
        return Response(ClawbackSerializer(clawback).data, status=status.HTTP_201_CREATED)
