"""Objections to a public notice: ``/api/v1/applications/{id}/objections/`` (anyone may POST while the
case is in its notice; staff GET) and ``…/objections/{oid}/resolve/`` (the intake role)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.security import client_ip
from funding import objections, selectors
from funding.models import Objection

from ..serializers.common import error_responses
from ..serializers.funding import (
    ObjectionInSerializer,
    ObjectionReceiptSerializer,
    ObjectionResolveSerializer,
    ObjectionSerializer,
)


class ApplicationObjections(generics.ListAPIView):
    serializer_class = ObjectionSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Objection.objects.none()
        app = selectors.application_for(self.request.user, self.kwargs["pk"])
        return selectors.objections_of(self.request.user, app)

    @extend_schema(responses={200: ObjectionSerializer(many=True), **error_responses(403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ObjectionInSerializer, responses={201: ObjectionReceiptSerializer,
                                                             **error_responses(400, 404)}, auth=[])
    def post(self, request, pk: int):
        serializer = ObjectionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objection = objections.objection_submit(application_id=pk, address=client_ip(request), by=request.user,
                                                **serializer.validated_data)
        return Response(ObjectionReceiptSerializer(objection).data, status=status.HTTP_201_CREATED)


class ObjectionResolve(APIView):
    @extend_schema(request=ObjectionResolveSerializer, responses={200: ObjectionSerializer,
                                                                  **error_responses(400, 403, 404, 409)})
    def post(self, request, pk: int, oid: int):
        serializer = ObjectionResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objection = objections.objection_resolve(by=request.user, application_id=pk, objection_id=oid,
                                                 **serializer.validated_data)
        return Response(ObjectionSerializer(objection).data)
