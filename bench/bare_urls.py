"""The project's URLs and the bare lookup view: never served outside the benchmark's own gunicorn."""

from bare_views import bare_lookup
from django.urls import path

from config.urls import urlpatterns as project

urlpatterns = [path("bench/bare-lookup/", bare_lookup), *project]
