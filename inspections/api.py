"""REST API of campaigns, inspections, appraisals and third-party sampling: the same services and the
same scope as the pages. Records are created by client UUID, so a retried POST stores nothing twice
(201 the first time, 200 with the stored record after)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core import policy
from core.inputs import IdField, no_nul, query
from core.views import user_of
from core.viewsets import PolicyViewSet
from field import sync as field_sync
from households.models import Household
from inspections import sampling, selectors, services
from inspections.models import Appraisal, AppraisalKind, Campaign, Inspection, SampleItem, SamplingPlan, Verdict


class CampaignSerializer(serializers.ModelSerializer):
    is_closed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "scope", "start_date", "deadline", "state", "is_closed", "task_count", "closed_at",
                  "close_note", "created_at"]  # fmt: skip
        read_only_fields = ["id", "state", "is_closed", "task_count", "closed_at", "close_note", "created_at"]


class CloseBody(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class InspectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = ["id", "uid", "campaign", "household", "house", "region_code", "inspector_name", "inspected_on", "verdict",
                  "risk_parts", "measure", "answers", "household_confirmed", "confirmed_by", "note", "latitude", "longitude",
                  "accuracy_m", "mock_location", "source", "captured_at", "created_at"]  # fmt: skip


class AppraisalSerializer(serializers.ModelSerializer):
    appraisers = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = ["id", "uid", "kind", "household", "house", "region_code", "structure_type", "site_dangerous", "site_note",
                  "components", "component_notes", "computed_grade", "rule", "grade", "raise_reason", "prevention",
                  "quantitative", "appraisers", "organisation", "appraised_on", "conclusion", "source", "created_at"]  # fmt: skip

    def get_appraisers(self, obj: Appraisal) -> list[str]:
        return [t.name for t in obj.appraisers.all()]


class SamplingPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = SamplingPlan
        fields = ["id", "name", "scope", "stratum_level", "ratio", "size", "seed", "appraised_from", "appraised_to", "firm",
                  "population", "item_count", "created_at"]  # fmt: skip


class SampleItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = SampleItem
        fields = ["id", "stratum", "household", "house", "region_code", "status", "original", "review", "agrees"]


class InspectionFilters(serializers.Serializer):
    household = IdField(required=False)
    campaign = IdField(required=False)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    since = serializers.DateField(required=False)


class AppraisalFilters(serializers.Serializer):
    household = IdField(required=False)
    house = IdField(required=False)
    grade = serializers.ChoiceField(choices=[(g, g) for g in "ABCD"], required=False)
    kind = serializers.ChoiceField(choices=AppraisalKind.choices, required=False)


class RecordBody(serializers.Serializer):
    """The envelope of a record posted to the API; the rest of the body is the form (field_sync reads it)."""

    uid = serializers.UUIDField(required=False, allow_null=True)
    household = IdField(required=False, allow_null=True)
    house = IdField(required=False, allow_null=True)


def _record_body(request: Request) -> dict[str, Any]:
    """The body with its envelope checked (400 with the field's message, not a 500 on a wrong type)."""
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"detail": _("请求内容应为一个 JSON 对象。")})
    body = no_nul(_body(request), "detail")
    envelope = RecordBody(data=body)
    envelope.is_valid(raise_exception=True)
    return body | {k: v for k, v in envelope.validated_data.items() if v is not None}


def _body(request: Request) -> dict[str, Any]:
    return dict(request.data) if isinstance(request.data, dict) else {}


def _created(obj: Any, serializer: type[serializers.ModelSerializer[Any]], created: bool) -> Response:
    return Response(serializer(obj).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet):
    policy_model = "inspections.Campaign"
    policy_actions = {"progress": "view", "close": "change"}
    serializer_class = CampaignSerializer
    queryset = Campaign.objects.none()  # for the schema; get_queryset restricts the real one

    def base_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaigns_for(user_of(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = CampaignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        campaign = services.start_campaign(actor=user_of(request), name=d["name"], kind=d.get("kind", "annual"), scope=d["scope"],
                                           start_date=d["start_date"], deadline=d["deadline"])  # fmt: skip
        return _created(campaign, CampaignSerializer, True)

    @extend_schema(responses={200: dict})
    @action(detail=True)
    def progress(self, request: Request, pk: str) -> Response:
        """Done, left and overdue per unit one level below `unit` (default: the campaign's or the caller's region)."""
        campaign = self.get_object()
        prefix = selectors.view_prefix(user_of(request), campaign, request.query_params.get("unit", ""))
        rows, total = selectors.progress(campaign, prefix, timezone.localdate())
        shape = lambda r: {"code": r.code, "name": r.name, "total": r.total, "done": r.done, "left": r.left,  # noqa: E731
                           "overdue": r.overdue, "percent": r.percent}  # fmt: skip
        difference = selectors.difference(campaign, prefix)
        return Response({"unit": prefix, "state": campaign.state, "rows": [shape(r) for r in rows], "total": shape(total),
                         "difference": difference.__dict__ if difference else None})  # fmt: skip

    @extend_schema(request=CloseBody, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """结束排查: the campaign keeps the households of its regions as they are now (county level only)."""
        campaign = self.get_object()
        body = CloseBody(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        closed = services.close_campaign(actor=user_of(request), campaign=campaign, note=body.validated_data["note"])
        return Response(CampaignSerializer(closed).data)


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet):
    """POST takes the field app's record shape: uid, household, house and the fields of the form."""

    policy_model = "inspections.Inspection"
    serializer_class = InspectionSerializer
    queryset = Inspection.objects.none()  # for the schema; get_queryset restricts the real one

    def get_queryset(self) -> QuerySet[Inspection]:
        qs = super().get_queryset().order_by("-inspected_on", "-id")
        params = query(InspectionFilters, self.request)
        for name in ("household", "campaign", "verdict"):
            if name in params:
                qs = qs.filter(**{name: params[name]})
        if "since" in params:
            qs = qs.filter(inspected_on__gte=params["since"])
        return qs

    @extend_schema(parameters=[InspectionFilters])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=dict, responses={201: InspectionSerializer, 200: InspectionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body, user = _record_body(request), user_of(request)
        if not body.get("household"):
            raise ValidationError({"household": _("请指明农户（household）。")})
        household = self.object_or_404(Household, "view", pk=body["household"])
        record = {"uid": body.get("uid") or str(uuid.uuid4()), "house": body.get("house"), "data": body}
        data = field_sync.inspection_input(record, household, field_sync.Gps.of(body), None, source="api")
        inspection, created = services.record_inspection(actor=user, data=data)
        return _created(inspection, InspectionSerializer, created)


class AppraisalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet):
    """A sampling firm sees its own re-appraisals only; others see the appraisals of their region."""

    policy_model = "inspections.Appraisal"
    serializer_class = AppraisalSerializer
    queryset = Appraisal.objects.none()  # for the schema; get_queryset restricts the real one

    def get_queryset(self) -> QuerySet[Appraisal]:
        qs = super().get_queryset()
        params = query(AppraisalFilters, self.request)
        for name in ("household", "house", "grade", "kind"):
            if name in params:
                qs = qs.filter(**{name: params[name]})
        return qs.prefetch_related("appraisers").order_by("-appraised_on", "-id")

    @extend_schema(parameters=[AppraisalFilters])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=dict, responses={201: AppraisalSerializer, 200: AppraisalSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _record_body(request)
        record = {"uid": body.get("uid") or str(uuid.uuid4()), "house": body.get("house"), "data": body}
        data = field_sync.appraisal_input(record, field_sync.Gps.of(body), None, source="api")
        appraisal, created = services.record_appraisal(actor=user_of(request), data=data)
        return _created(appraisal, AppraisalSerializer, created)


class SamplingPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    policy_model = "inspections.SamplingPlan"
    policy_actions = {"items": "view", "disagreements": "export"}  # the results are the county's, not the firm's
    serializer_class = SamplingPlanSerializer
    queryset = SamplingPlan.objects.none()  # for the schema; get_queryset restricts the real one

    def base_queryset(self) -> QuerySet[SamplingPlan]:
        return sampling.plans_for(user_of(self.request))

    @extend_schema(responses={200: SampleItemSerializer(many=True)})
    @action(detail=True)
    def items(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        items = self.restricted(sampling.items_for(user_of(request), plan), "view").order_by("stratum", "id")
        if not policy.allowed(user_of(request), "inspections.SamplingPlan", "export"):  # the firm re-appraises blind
            return Response([{k: v for k, v in row.items() if k not in ("original", "agrees")}
                             for row in SampleItemSerializer(items, many=True).data])  # fmt: skip
        page = self.paginate_queryset(items)
        return self.get_paginated_response(SampleItemSerializer(page, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True)
    def disagreements(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        rows = sampling.disagreement_rows(sampling.items_for(user_of(request), plan))
        return Response({"header": sampling.DISAGREEMENT_HEADER, "rows": rows})
