"""REST API of renovation cases, their transitions and notices: the same services and scope as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.inputs import IdField, IdListField, query
from core.views import user_of
from core.viewsets import PolicyViewSet
from renovation import notices, selectors, services, workflow
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
        return workflow.MACHINE.label(obj.state)


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["action", "from_state", "to_state", "actor_name", "at", "effective_on", "comment", "batch"]


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id",
            "level",
            "region_code",
            "title",
            "start_date",
            "counted_from",
            "end_date",
            "hotline",
            "cases",
            "created_at",
        ]


CORRECT = "correct"


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[*(s.action for s in workflow.PERSON_STEPS), CORRECT],
        help_text="a step of the workflow; `correct` corrects the date of a construction `stage` to `on`, "
        "with the reason in `comment`",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    on = serializers.DateField(required=False, allow_null=True, help_text="the day it happened (not in the future)")
    stage = serializers.CharField(required=False, max_length=20, help_text="start, structure_done or complete")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] == CORRECT and (not attrs.get("stage") or not attrs.get("on")):
            raise serializers.ValidationError(_("更正日期须写明施工节点（stage）和更正后的日期（on）。"))
        if attrs.get("stage") and attrs["stage"] not in workflow.STAGE_DATES:
            raise serializers.ValidationError(
                {"stage": _("施工节点应为 start（开工）、structure_done（主体完工）或 complete（竣工）。")}
            )
        return attrs


REGION_CODE = _("应为区划代码（1 至 12 位数字）。")
SCOPE_CODE = _("应为发布公示的区划代码（县 6 位、乡镇 9 位、村 12 位）。")


class CaseFilters(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    state = serializers.ChoiceField(choices=list(workflow.STATES.items()), required=False)
    region = serializers.RegexField(r"^[0-9]{1,12}$", required=False, error_messages={"invalid": REGION_CODE})
    overdue = serializers.BooleanField(required=False)


class OpenCaseSerializer(serializers.Serializer):
    house = IdField()


class NoticeCreateSerializer(serializers.Serializer):
    level = serializers.CharField(max_length=10, help_text="village, town or county")  # publish() names a wrong one
    scope = serializers.RegexField(r"^[0-9]{6,12}$", error_messages={"invalid": SCOPE_CODE})
    cases = IdListField(allow_empty=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    hotline = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """?year, state, region (code prefix), overdue=1. POST /api/cases/open/ {house}; POST /api/cases/{id}/transition/."""

    policy_model = "renovation.Case"
    policy_actions = {"open": "change", "transition": "change", "events": "view"}
    serializer_class = CaseSerializer
    queryset = Case.objects.none()

    def get_queryset(self) -> QuerySet[Case]:
        qs = super().get_queryset().order_by("deadline", "id")
        p = query(CaseFilters, self.request)
        if "year" in p:
            qs = qs.filter(year=p["year"])
        if "state" in p:
            qs = qs.filter(state=p["state"])
        if "region" in p:
            qs = qs.filter(region_code__startswith=p["region"])
        if p.get("overdue"):
            qs = selectors.overdue(qs, timezone.localdate())
        return qs

    @extend_schema(parameters=[CaseFilters])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=OpenCaseSerializer, responses={201: CaseSerializer})
    @action(detail=False, methods=["post"])
    def open(self, request: Request) -> Response:
        ser = OpenCaseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = services.open_case(actor=user_of(request), house_id=ser.validated_data["house"])
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        if d["action"] == CORRECT:
            moved = services.correct_date(
                actor=user_of(request),
                case_id=case.pk,
                stage=d["stage"],
                on=d["on"],
                reason=d["comment"],
                version=d.get("version"),
            )
        else:
            moved = services.transition(
                actor=user_of(request),
                case_id=case.pk,
                action=d["action"],
                comment=d["comment"],
                version=d.get("version"),
                on=d.get("on"),
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

    @extend_schema(request=NoticeCreateSerializer, responses={201: NoticeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = NoticeCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        notice = notices.publish(
            actor=user_of(request),
            level=d["level"],
            scope=d["scope"],
            case_ids=d["cases"],
            start_date=d.get("start_date") or timezone.localdate(),
            end_date=d.get("end_date"),
            hotline=d["hotline"],
        )
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)
