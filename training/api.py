"""REST API of the training ledger (read): people with their validity on a day, courses, records."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, serializers

from core.masking import mask_id_number
from core.views import user_of
from core.viewsets import PolicyViewSet
from training.models import Course, Trainee, TrainingRecord
from training.selectors import ledger


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


class TraineeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """?on=YYYY-MM-DD (validity day), q, kind, status=valid|expired, course_kind — as on the ledger page."""

    policy_model = "training.Trainee"
    serializer_class = TraineeSerializer
    queryset = Trainee.objects.none()  # for the schema; get_queryset scopes the real one

    def base_queryset(self) -> QuerySet[Trainee]:
        return ledger(user_of(self.request), {k: v for k, v in self.request.query_params.items() if v})


class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    policy_model = "training.Course"
    serializer_class = CourseSerializer
    queryset = Course.objects.none()  # for the schema; get_queryset restricts the real one

    def base_queryset(self) -> QuerySet[Course]:
        return Course.objects.order_by("-start_date", "-id")


class TrainingRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    policy_model = "training.TrainingRecord"
    serializer_class = TrainingRecordSerializer
    queryset = TrainingRecord.objects.none()  # for the schema; get_queryset restricts the real one

    def base_queryset(self) -> QuerySet[TrainingRecord]:
        qs = TrainingRecord.objects.order_by("-issued_on", "-id")
        trainee = self.request.query_params.get("trainee", "")
        return qs.filter(trainee_id=int(trainee)) if trainee.isdigit() else qs
