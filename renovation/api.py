"""REST API of renovation cases, their transitions and notices: the same services and scope as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.views import user_of
from core.viewsets import PolicyViewSet
from renovation import notices, services, workflow
from renovation.models import Case, CaseEvent, Notice


class CaseSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "uid",
            "household",
            "house",
            "region_code",
            "year",
            "grade",
            "state",
            "state_label",
            "on_hold",
            "deadline",
            "mode",
            "build_method",
            "family_size",
            "planned_area",
            "subsidy",
            "builder",
            "started_on",
            "completed_on",
            "accepted_on",
            "paid_on",
            "version",
        ]
        read_only_fields = fields

    def get_state_label(self, obj: Case) -> str:
        return workflow.STATES.get(obj.state, obj.state)


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["action", "from_state", "to_state", "actor_name", "at", "comment", "batch"]


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "level", "region_code", "title", "start_date", "end_date", "hotline", "cases"]


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[s.action for s in workflow.STEPS])
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """?year, state, region (code prefix), overdue=1. POST /api/cases/open/ {house}; POST /api/cases/{id}/transition/."""

    policy_model = "renovation.Case"
    policy_actions = {"open": "change", "transition": "change", "events": "view"}
    serializer_class = CaseSerializer
    queryset = Case.objects.none()

    def get_queryset(self) -> QuerySet[Case]:
        qs = super().get_queryset().order_by("deadline", "id")
        p = self.request.query_params
        if p.get("year", "").isdigit():
            qs = qs.filter(year=int(p["year"]))
        if p.get("state") in workflow.STATES:
            qs = qs.filter(state=p["state"])
        if p.get("region", "").isdigit():
            qs = qs.filter(region_code__startswith=p["region"])
        return qs

    @extend_schema(
        request={"application/json": {"type": "object", "properties": {"house": {"type": "integer"}}}},
        responses={201: CaseSerializer},
    )
    @action(detail=False, methods=["post"])
    def open(self, request: Request) -> Response:
        case = services.open_case(actor=user_of(request), house_id=int(request.data.get("house") or 0))
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        moved = services.transition(
            actor=user_of(request), case_id=case.pk, action=d["action"], comment=d["comment"], version=d.get("version")
        )
        return Response(CaseSerializer(moved).data)

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True)
    def events(self, request: Request, pk: str) -> Response:
        return Response(EventSerializer(self.get_object().events.all(), many=True).data)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """POST {level, scope, cases: [ids], start_date, end_date?, hotline?} publishes a notice at the caller's level."""

    policy_model = "renovation.Notice"
    serializer_class = NoticeSerializer
    queryset = Notice.objects.none()

    @extend_schema(request=dict, responses={201: NoticeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from django.utils.dateparse import parse_date

        d = request.data
        notice = notices.publish(
            actor=user_of(request),
            level=str(d.get("level", "")),
            scope=str(d.get("scope", "")),
            case_ids=[int(x) for x in d.get("cases", [])],
            start_date=parse_date(str(d.get("start_date", ""))) or timezone.localdate(),
            end_date=parse_date(str(d.get("end_date", ""))) if d.get("end_date") else None,
            hotline=str(d.get("hotline", "")),
        )
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)
