from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework import mixins, serializers

from core.viewsets import PolicyViewSet
from regions.models import Region


class RegionSerializer(serializers.ModelSerializer):
    edition = serializers.CharField(source="edition.name")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "edition", "is_active"]


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Region codes are public reference data: every signed-in user reads the whole tree.

    Filters: `parent` (children of a code), `q` (name contains, or code prefix), `level` (1–5)."""

    policy_model = "regions.Region"
    serializer_class = RegionSerializer
    queryset = Region.objects.none()

    def base_queryset(self) -> QuerySet[Region]:
        qs = Region.objects.select_related("edition").order_by("code")
        params = self.request.query_params
        if params.get("parent"):
            qs = qs.filter(parent_id=params["parent"])
        if params.get("level", "").isdigit():
            qs = qs.filter(level=int(params["level"]))
        q = params.get("q", "").strip()
        if q:
            qs = qs.filter(Q(code__startswith=q) if q.isdigit() else Q(name__contains=q))
        return qs
