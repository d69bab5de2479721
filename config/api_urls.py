from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import TokenView
from households.api import HouseholdViewSet, HouseViewSet, MemberViewSet
from regions.api import RegionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("houses", HouseViewSet, basename="house")

urlpatterns = [path("auth/token/", TokenView.as_view(), name="api-token"), *router.urls]
