"""Abstract models shared by apps (no tables of their own)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Located(models.Model):
    """Where something was captured in the field: a GPS fix, its accuracy, and whether the phone reported a mock location."""

    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("定位精度（米）"), null=True, blank=True)
    mock_location = models.BooleanField(_("模拟定位"), default=False)

    class Meta:
        abstract = True
