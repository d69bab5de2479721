from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from core.inputs import query
from core.viewsets import PolicyViewSet
from regions.models import Level, Region


class RegionSerializer(serializers.ModelSerializer):
    edition = serializers.CharField(source="edition.name")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "edition", "is_active"]


class RegionFilters(serializers.Serializer):
    parent = serializers.RegexField(r"^[0-9]{1,12}$", required=False)  # type: ignore[assignment]  # DRF pops declared fields
    level = serializers.IntegerField(min_value=min(Level.values), max_value=max(Level.values), required=False)
    q = serializers.CharField(required=False, max_length=50)


@extend_schema_view(list=extend_schema(parameters=[RegionFilters]))
class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Region codes are public reference data: every signed-in user reads the whole tree.

    Filters: `parent` (children of a code), `q` (name contains, or code prefix), `level` (1–5)."""

    policy_model = "regions.Region"
    serializer_class = RegionSerializer
    queryset = Region.objects.none()

    def base_queryset(self) -> QuerySet[Region]:
        qs = Region.objects.select_related("edition").order_by("code")
        params = query(RegionFilters, self.request)
        if params.get("parent"):
            qs = qs.filter(parent_id=params["parent"])
        if params.get("level"):
            qs = qs.filter(level=int(params["level"]))
        q = params.get("q", "").strip()
        if q:
            qs = qs.filter(Q(code__startswith=q) if q.isdigit() else Q(name__contains=q))
        return qs
