"""Retention of the field app's files (core.retention).

Completed photos are evidence of an inspection, appraisal or construction stage and stay with their
record. What goes: the pieces of photos that were declared and never finished within the retention
period (the phone gave up or was lost); their rows stay, at zero bytes received."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from core.retention import Purge
from field.models import Photo


def purge(purge: Purge) -> None:
    folder = Path(settings.MEDIA_ROOT) / "partial"
    stale = Photo.objects.filter(completed_at__isnull=True, created_at__lt=purge.cutoff, received__gt=0)
    for photo in stale.iterator(chunk_size=500):
        purge.delete(folder / f"{photo.uid}.part", "photo_piece")
        if not purge.dry_run:
            Photo.objects.filter(pk=photo.pk, completed_at__isnull=True).update(received=0)
