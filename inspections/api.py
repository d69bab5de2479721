"""REST API of campaigns, inspections, appraisals and third-party sampling: the same services and the
same scope as the pages. Records are created by client UUID, so a retried POST stores nothing twice
(201 the first time, 200 with the stored record after)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core import policy
from core.views import user_of
from core.viewsets import PolicyViewSet
from field import sync as field_sync
from households.models import Household
from inspections import sampling, selectors, services
from inspections.models import Appraisal, Campaign, Inspection, SampleItem, SamplingPlan


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "scope", "start_date", "deadline", "is_closed", "task_count", "created_at"]
        read_only_fields = ["id", "is_closed", "task_count", "created_at"]


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


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _body(request: Request) -> dict[str, Any]:
    return dict(request.data) if isinstance(request.data, dict) else {}


def _created(obj: Any, serializer: type[serializers.ModelSerializer[Any]], created: bool) -> Response:
    return Response(serializer(obj).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet):
    policy_model = "inspections.Campaign"
    policy_actions = {"progress": "view"}
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
        return Response({"unit": prefix, "rows": [shape(r) for r in rows], "total": shape(total)})


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet):
    """POST takes the field app's record shape: uid, household, house and the fields of the form."""

    policy_model = "inspections.Inspection"
    serializer_class = InspectionSerializer
    queryset = Inspection.objects.none()  # for the schema; get_queryset restricts the real one

    def get_queryset(self) -> QuerySet[Inspection]:
        qs = super().get_queryset().order_by("-inspected_on", "-id")
        params = self.request.query_params
        for name in ("household", "campaign", "verdict"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("since"):
            qs = qs.filter(inspected_on__gte=params["since"])
        return qs

    @extend_schema(request=dict, responses={201: InspectionSerializer, 200: InspectionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body, user = _body(request), user_of(request)
        if not _int(body.get("household")):
            raise ValidationError({"household": "请指明农户（household）。"})
        household = self.object_or_404(Household, "view", pk=_int(body.get("household")))
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
        params = self.request.query_params
        for name in ("household", "house", "grade", "kind"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        return qs.prefetch_related("appraisers").order_by("-appraised_on", "-id")

    @extend_schema(request=dict, responses={201: AppraisalSerializer, 200: AppraisalSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
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
