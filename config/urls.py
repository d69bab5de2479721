from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views as core_views
from inspections import public

urlpatterns = [
    path("", core_views.home, name="home"),
    path("h/<str:code>/", public.house, name="public_house"),
    path("accounts/", include("accounts.urls")),
    path("regions/", include("regions.urls")),
    path("households/", include("households.urls")),
    path("exchange/", include("exchange.urls")),
    path("audit/", include("audit.urls")),
    path("codes/", include("codetables.urls")),
    path("training/", include("training.urls")),
    path("inspections/", include("inspections.urls")),
    path("field/", include("field.urls")),
    path("renovation/", include("renovation.urls")),
    path("funds/", include("funds.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
