"""The API the field app uses, and only it: what to download, the sync of records, photos in pieces.

Every endpoint is scoped to the caller's region like the rest of the API (token or session auth).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Cap
from codetables.models import Table
from codetables.selectors import names
from core.inputs import no_nul
from core.views import user_of
from core.viewsets import PersonalDataMixin, PolicyAPIView
from field import evidence, overrides, sync
from field.models import Conflict, ConflictStatus, Photo, RecordKind
from households.models import House, Household
from inspections import grading
from inspections.models import RISK_PARTS, AppraisalTask, AppraisalTaskStatus, InspectionTask, Measure, Prevention, TaskStatus
from regions.models import Level, Region
from training.models import PersonKind, Trainee

MAX_BATCH = 200
MAX_VILLAGE_HOUSEHOLDS = 3000


class RawBytesParser(BaseParser):
    """A photo piece: the request's stream itself, copied to disk with a cap by the sync (never read whole here)."""

    media_type = "application/octet-stream"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream if stream is not None else b""


class ConfigView(PolicyAPIView):
    """Who the worker is, the grading rules, code names and choices: what the phone needs to work offline."""

    policy_model = "field.Sync"
    policy_actions = {"get": "view"}

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = user_of(request)
        region = user.region_id or ""
        people = Trainee.objects.filter(is_active=True, kind__in=[PersonKind.APPRAISER, PersonKind.FIRM])
        ancestors = [region[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12) if n <= len(region)]
        people = people.filter(region_code__in=ancestors) | people.filter(region_code__startswith=region)
        return Response(
            {
                "user": {
                    "username": user.username,
                    "name": user.display_name,
                    "region": region,
                    "region_name": user.region.name if user.region else "",
                    "can_inspect": user.can(Cap.INSPECT),
                    "can_appraise": user.can(Cap.APPRAISE),
                },
                "rules": grading.rules_payload(),
                "structure_types": names(Table.STRUCTURE_TYPE),
                "risk_parts": {k: str(v) for k, v in RISK_PARTS.items()},
                "measures": dict(Measure.choices),
                "prevention": dict(Prevention.choices),
                "appraisers": [
                    {"id": t.pk, "name": t.name, "organisation": t.organisation, "mine": t.user_id == user.pk}
                    for t in people.order_by("name")[:200]
                ],
                "max_distance_m": evidence.max_distance_m(),
                "server_time": timezone.now().isoformat(),
            }
        )


class VillagesView(PolicyAPIView):
    """The villages in the caller's region with their household counts, to choose what to download."""

    policy_model = "households.Household"
    policy_actions = {"get": "view"}

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = user_of(request)
        counts = dict(
            self.restricted(Household.objects.all())
            .values_list("region_code")
            .annotate(n=Count("id"))
            .values_list("region_code", "n")
        )
        villages = Region.objects.under(user.region_id or "-").filter(level=Level.VILLAGE, code__in=list(counts))
        towns = dict(Region.objects.under(user.region_id or "-").filter(level=Level.TOWN).values_list("code", "name"))
        rows = [
            {"code": v.code, "name": v.name, "town": towns.get(v.code[:9], ""), "households": counts[v.code]}
            for v in villages.order_by("code")
        ]
        return Response({"villages": rows})


class HouseholdsView(PersonalDataMixin, PolicyAPIView):
    """Everything the phone keeps of one village: households, their houses with safety and label code, open tasks."""

    policy_model = "households.Household"
    policy_actions = {"get": "view"}
    personal_actions = ("get",)
    personal_fields = ("head_name", "address", "latitude", "longitude")
    personal_rows = "households"

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = user_of(request)
        village = request.query_params.get("village", "")
        if len(village) != 12 or not user.covers(village):
            raise ApiValidationError({"village": "请选择您管辖范围内的一个村。"})
        households = list(
            self.restricted(Household.objects.filter(region_code=village)).order_by("group_name", "head_name")[
                :MAX_VILLAGE_HOUSEHOLDS
            ]
        )
        ids = [h.pk for h in households]
        houses: dict[int, list[dict[str, Any]]] = {}
        for house in House.objects.filter(household_id__in=ids).select_related("safety").order_by("-is_dwelling", "id"):
            safety = getattr(house, "safety", None)
            houses.setdefault(house.household_id, []).append(
                {
                    "id": house.pk,
                    "address": house.address,
                    "is_dwelling": house.is_dwelling,
                    "structure_type": house.structure_type,
                    "year_built": house.year_built,
                    "storeys": house.storeys,
                    "floor_area": str(house.floor_area) if house.floor_area is not None else None,
                    "latitude": str(house.latitude) if house.latitude is not None else None,
                    "longitude": str(house.longitude) if house.longitude is not None else None,
                    "version": house.version,
                    "grade": safety.grade if safety else "",
                    "checked_on": safety.checked_on.isoformat() if safety and safety.checked_on else None,
                    "code": safety.code if safety else "",
                }
            )
        tasks = dict(
            InspectionTask.objects.filter(household_id__in=ids, status=TaskStatus.PENDING, campaign__state="open").values_list(
                "household_id", "campaign_id"
            )
        )
        appraise = set(
            AppraisalTask.objects.filter(household_id__in=ids, status=AppraisalTaskStatus.PENDING).values_list(
                "household_id", flat=True
            )
        )
        cases = _building_cases(ids)
        return Response(
            {
                "village": village,
                "downloaded_at": timezone.now().isoformat(),
                "households": [
                    {
                        "id": h.pk,
                        "head_name": h.head_name,
                        "group_name": h.group_name,
                        "region_code": h.region_code,
                        "version": h.version,
                        "houses": houses.get(h.pk, []),
                        "campaign": tasks.get(h.pk),
                        "needs_appraisal": h.pk in appraise,
                        "cases": cases.get(h.pk, []),
                    }
                    for h in households
                ],
            }
        )


class SyncView(PolicyAPIView):
    """Records from the outbox, each answered on its own: created, exists (a resend) or rejected with reasons."""

    policy_model = "field.Sync"
    policy_actions = {"post": "change"}

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request: Request) -> Response:
        records = request.data.get("records") if isinstance(request.data, dict) else None
        if not isinstance(records, list) or not records:
            raise ApiValidationError({"records": "请提供要同步的记录列表。"})
        if len(records) > MAX_BATCH:
            raise ApiValidationError({"records": f"每次最多同步 {MAX_BATCH} 条记录。"})
        user = user_of(request)
        results = [
            sync.sync_record(actor=user, payload=r)
            if isinstance(r, dict)
            else {"status": "rejected", "errors": {"__all__": "记录格式不正确"}}
            for r in records
        ]
        return Response({"results": results})


def _photo_state(photo: Photo) -> dict[str, Any]:
    state = {"uid": str(photo.uid), "size": photo.size, "received": photo.received, "complete": photo.complete}
    if photo.complete:  # what stands behind it (ADR 0026): the app shows a photo the server did not take as located
        state |= {"evidence": photo.evidence, "evidence_label": str(photo.get_evidence_display())}
    return state | ({"refused": photo.refused} if photo.refused else {})


SIZE_RANGE = _("照片大小不正确，请压缩后再上传（手机端会自动压缩）。")


class PhotoDeclaration(serializers.Serializer):
    """The shape of a photo's announcement; the values are judged by `sync.declare_photo`."""

    uid = serializers.UUIDField()
    record_kind = serializers.ChoiceField(choices=RecordKind.choices)
    record_uid = serializers.UUIDField()
    # the upper limit is the configurable one (ANJU_MAX_PHOTO_MB), judged by sync.declare_photo
    size = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, error_messages={"min_value": SIZE_RANGE, "max_value": SIZE_RANGE}
    )
    sha256 = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=64)
    part = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    content_type = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    taken_at = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    gps = serializers.DictField(required=False, allow_null=True)


class PhotosView(PolicyAPIView):
    policy_model = "field.Photo"
    policy_actions = {"post": "change"}

    @extend_schema(request=PhotoDeclaration, responses={201: dict})
    def post(self, request: Request) -> Response:
        ser = PhotoDeclaration(data=no_nul(request.data, "detail"))
        ser.is_valid(raise_exception=True)
        photo = sync.declare_photo(actor=user_of(request), meta=dict(ser.validated_data))
        return Response(_photo_state(photo), status=status.HTTP_201_CREATED)


class PhotoView(PolicyAPIView):
    """GET: how much of the photo the server has. PUT ?offset=N: the next piece (raw bytes), by its uploader only."""

    policy_model = "field.Photo"
    policy_actions = {"get": "view", "put": "change"}

    parser_classes = [RawBytesParser]

    def _photo(self, request: Request, uid: str) -> Photo:
        return self.object_or_404(Photo, uid=uid)  # type: ignore[no-any-return]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, uid: str) -> Response:
        return Response(_photo_state(self._photo(request, uid)))

    @extend_schema(request={"application/octet-stream": bytes}, responses={200: dict, 409: dict})
    def put(self, request: Request, uid: str) -> Response:
        photo = self._photo(request, uid)
        try:
            offset = int(request.query_params.get("offset", ""))
        except ValueError:
            raise ApiValidationError({"offset": "请指明这段内容的起始位置 offset。"}) from None
        data: Any = request.data  # the body's stream (RawBytesParser), spooled to disk with a cap by the sync
        if not (isinstance(data, bytes) or hasattr(data, "read")):
            raise ApiValidationError({"content": "照片内容须以 application/octet-stream 发送。"})
        try:
            photo = sync.append_chunk(actor=user_of(request), photo=photo, offset=offset, data=data)
        except sync.OffsetMismatch as exc:
            return Response(
                {"detail": "起始位置与服务器已收到的不一致，请从 received 处继续。", "received": exc.received},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(_photo_state(photo))


class OverrideInput(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    part = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class OverridesView(PolicyAPIView):
    """POST {case, part, reason}: a town reviewer's recorded override of a stage's located-photo rule (ADR 0026)."""

    policy_model = "field.EvidenceOverride"
    policy_actions = {"post": "change"}

    @extend_schema(request=OverrideInput, responses={201: dict})
    def post(self, request: Request) -> Response:
        ser = OverrideInput(data=no_nul(request.data, "detail"))
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        made = overrides.record_override(actor=user_of(request), case_id=data["case"], part=data["part"], reason=data["reason"])
        return Response(
            {"id": made.pk, "case": data["case"], "part": made.part, "reason": made.reason, "by": made.created_by_name},
            status=status.HTTP_201_CREATED,
        )


class ConflictsView(PolicyAPIView):
    """The caller's own open conflicts (the worker sees what the town will decide)."""

    policy_model = "field.Conflict"
    policy_actions = {"get": "view"}

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = user_of(request)
        rows = self.restricted(Conflict.objects.filter(worker=user)).select_related("household").order_by("-created_at")[:100]
        return Response(
            {
                "conflicts": [
                    {
                        "id": c.pk,
                        "household": c.household_id,
                        "head_name": c.household.head_name,
                        "record_uid": str(c.record_uid),
                        "reason": c.reason,
                        "status": c.status,
                        "status_label": ConflictStatus(c.status).label,
                        "note": c.note,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c in rows
                ]
            }
        )


def _building_cases(household_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Renovation cases under construction, for construction photos taken on site (record kind "case")."""
    from renovation.models import GUARANTEE_MODES, Case
    from renovation.workflow import BUILDING, MACHINE

    out: dict[int, list[dict[str, Any]]] = {}
    rows = Case.objects.filter(household_id__in=household_ids, state__in=BUILDING).exclude(mode__in=list(GUARANTEE_MODES))
    for c in rows.values("uid", "household_id", "state", "year"):
        out.setdefault(c["household_id"], []).append(
            {"uid": str(c["uid"]), "state": c["state"], "state_label": MACHINE.label(c["state"]), "year": c["year"]}
        )
    return out
