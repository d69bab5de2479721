from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from core import csp
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
    # The schema and its viewers are for signed-in users only (a token client may read the schema).
    # Swagger UI's start script is served as a file (the split view); Redoc styles itself with <style>
    # elements, so its page alone may use inline styles.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path(
        "api/redoc/",
        login_required(
            csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
                SpectacularRedocView.as_view(url_name="api-schema")
            )
        ),
        name="api-redoc",
    ),
    path(settings.CSP_REPORT_URL.lstrip("/"), csp.report, name="csp-report"),
]
