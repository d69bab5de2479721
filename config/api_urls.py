from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import LogoutView, TokenView
from field import api as field_api
from funds import api as funds_api
from households.api import HouseholdViewSet, HouseViewSet, MemberViewSet
from inspections import api as inspections_api
from regions.api import RegionViewSet
from renovation import api as renovation_api
from training import api as training_api

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("houses", HouseViewSet, basename="house")
router.register("campaigns", inspections_api.CampaignViewSet, basename="campaign")
router.register("inspections", inspections_api.InspectionViewSet, basename="inspection")
router.register("appraisals", inspections_api.AppraisalViewSet, basename="appraisal")
router.register("sampling-plans", inspections_api.SamplingPlanViewSet, basename="sampling-plan")
router.register("trainees", training_api.TraineeViewSet, basename="trainee")
router.register("cases", renovation_api.CaseViewSet, basename="case")
router.register("notices", renovation_api.NoticeViewSet, basename="notice")
router.register("batches", funds_api.BatchViewSet, basename="batch")
router.register("subsidy-exceptions", funds_api.SubsidyExceptionViewSet, basename="subsidy-exception")
router.register("courses", training_api.CourseViewSet, basename="course")
router.register("training-records", training_api.TrainingRecordViewSet, basename="training-record")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("field/config/", field_api.ConfigView.as_view(), name="field-config"),
    path("field/villages/", field_api.VillagesView.as_view(), name="field-villages"),
    path("field/households/", field_api.HouseholdsView.as_view(), name="field-households"),
    path("field/sync/", field_api.SyncView.as_view(), name="field-sync"),
    path("field/photos/", field_api.PhotosView.as_view(), name="field-photos"),
    path("field/photos/<uuid:uid>/", field_api.PhotoView.as_view(), name="field-photo"),
    path("field/conflicts/", field_api.ConflictsView.as_view(), name="field-conflicts"),
    path("field/overrides/", field_api.OverridesView.as_view(), name="field-overrides"),
    *router.urls,
]
