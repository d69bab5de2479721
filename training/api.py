"""REST API of the training ledger (read): people with their validity on a day, courses, records."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from core.inputs import IdField, query
from core.masking import mask_id_number
from core.views import user_of
from training.models import Course, Trainee, TrainingRecord
from training.selectors import can_view, ledger


def _require_view(user: Any) -> None:
    if not can_view(user):
        raise PermissionDenied("您的角色无权查看培训台账。")


class TraineeSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()
    trained = serializers.BooleanField(source="is_valid", read_only=True, help_text="on the `on` day (default today)")
    valid_until = serializers.DateField(read_only=True)

    class Meta:
        model = Trainee
        fields = ["id", "region_code", "name", "kind", "organisation", "licence_no", "id_number", "is_active", "trained",
                  "valid_until"]  # fmt: skip

    def get_id_number(self, obj: Trainee) -> str:
        return mask_id_number(obj.id_number)


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "region_code", "title", "kind", "organiser", "start_date", "end_date", "hours"]


class TrainingRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRecord
        fields = ["id", "trainee", "course", "passed", "certificate_no", "issued_on", "valid_until"]


class TraineeFilters(serializers.Serializer):
    on = serializers.DateField(required=False)
    q = serializers.CharField(required=False, max_length=50)
    kind = serializers.CharField(required=False, max_length=20)
    status = serializers.CharField(required=False, max_length=20)
    course_kind = serializers.CharField(required=False, max_length=20)


class TrainingRecordFilters(serializers.Serializer):
    trainee = IdField(required=False)


@extend_schema_view(list=extend_schema(parameters=[TraineeFilters]))
class TraineeViewSet(viewsets.ReadOnlyModelViewSet):
    """?on=YYYY-MM-DD (validity day), q, kind, status=valid|expired, course_kind — as on the ledger page."""

    serializer_class = TraineeSerializer
    queryset = Trainee.objects.none()  # for the schema; get_queryset scopes the real one

    def get_queryset(self) -> QuerySet[Trainee]:
        user = user_of(self.request)
        _require_view(user)
        return ledger(user, query(TraineeFilters, self.request))


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CourseSerializer
    queryset = Course.objects.none()  # for the schema; get_queryset scopes the real one

    def get_queryset(self) -> QuerySet[Course]:
        user = user_of(self.request)
        _require_view(user)
        return Course.objects.visible_to(user).order_by("-start_date", "-id")


@extend_schema_view(list=extend_schema(parameters=[TrainingRecordFilters]))
class TrainingRecordViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TrainingRecordSerializer
    queryset = TrainingRecord.objects.none()  # for the schema; get_queryset scopes the real one

    def get_queryset(self) -> QuerySet[TrainingRecord]:
        user = user_of(self.request)
        _require_view(user)
        qs = TrainingRecord.objects.visible_to(user).order_by("-issued_on", "-id")
        trainee = query(TrainingRecordFilters, self.request).get("trainee")
        if trainee:
            qs = qs.filter(trainee_id=trainee)
        return qs
