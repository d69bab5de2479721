from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import TokenView
from field import api as field_api
from households.api import HouseholdViewSet, HouseViewSet, MemberViewSet
from regions.api import RegionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("houses", HouseViewSet, basename="house")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("field/config/", field_api.ConfigView.as_view(), name="field-config"),
    path("field/villages/", field_api.VillagesView.as_view(), name="field-villages"),
    path("field/households/", field_api.HouseholdsView.as_view(), name="field-households"),
    path("field/sync/", field_api.SyncView.as_view(), name="field-sync"),
    path("field/photos/", field_api.PhotosView.as_view(), name="field-photos"),
    path("field/photos/<uuid:uid>/", field_api.PhotoView.as_view(), name="field-photo"),
    path("field/conflicts/", field_api.ConflictsView.as_view(), name="field-conflicts"),
    *router.urls,
]
