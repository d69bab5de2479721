"""Photos decoded and re-encoded before anyone sees them (ADR 0020).

A photo is accepted only if its first bytes say JPEG, PNG or WebP, Pillow decodes it with only that
format's decoder, and it has at most ANJU_MAX_IMAGE_PIXELS pixels. What is stored is a new JPEG
drawn from the decoded pixels, so nothing else the file carried (HTML, script, a second file
appended or hidden in a comment) survives. From the original EXIF only what serves as evidence is
copied: when (DateTime, DateTimeOriginal and its offset), where (the GPS block), the camera's make
and model and the orientation; serial numbers, owner names and free text are dropped.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.uploads import sniff

DECODERS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
QUALITY = 85
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
KEEP_TAGS = (0x010F, 0x0110, 0x0112, 0x0132)  # Make, Model, Orientation, DateTime
KEEP_EXIF_TAGS = (0x9003, 0x9004, 0x9010, 0x9011)  # DateTimeOriginal, DateTimeDigitized, OffsetTime, OffsetTimeOriginal


def max_pixels() -> int:
    return int(getattr(settings, "ANJU_MAX_IMAGE_PIXELS", 40_000_000))


@dataclass(frozen=True)
class VerifiedImage:
    path: Path
    width: int
    height: int
    content_type: str = "image/jpeg"


def refuse(reason: str) -> ValidationError:
    return ValidationError({"file": _("照片未通过检查：%(r)s。请用手机相机拍摄的 JPEG 照片重新上传。") % {"r": reason}})


def evidence_exif(image: Image.Image) -> Image.Exif:
    """The EXIF entries worth keeping as evidence, re-serialised by Pillow (never the original bytes)."""
    kept = Image.Exif()
    try:
        source = image.getexif()
        for tag in KEEP_TAGS:
            if tag in source:
                kept[tag] = source[tag]
        times = {k: v for k, v in source.get_ifd(EXIF_IFD).items() if k in KEEP_EXIF_TAGS}
        if times:
            kept[EXIF_IFD] = times
        gps = dict(source.get_ifd(GPS_IFD))
        if gps:
            kept[GPS_IFD] = gps
    except Exception:  # a broken EXIF block is dropped; the picture itself may still be fine
        return Image.Exif()
    return kept


def _pixels(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def verify_photo(source: Path, dest: Path) -> VerifiedImage:
    """Decode `source` as a photo and write it to `dest` as a fresh JPEG; a ValidationError (in Chinese) if it is not one."""
    with source.open("rb") as fh:
        kind = sniff(fh.read(16))
    if kind not in DECODERS:
        raise refuse(_("文件不是 JPEG、PNG 或 WebP 图片"))
    limit = max_pixels()
    Image.MAX_IMAGE_PIXELS = limit  # Pillow's own bomb check, for anything decoded elsewhere in the process
    try:
        with warnings.catch_warnings(), Image.open(source, formats=[DECODERS[kind]]) as image:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is refused just below
            width, height = image.size
            if width < 1 or height < 1 or width * height > limit:
                raise refuse(_("图片尺寸 %(w)d×%(h)d 超过 %(m)d 万像素的上限") % {"w": width, "h": height, "m": limit // 10_000})
            exif = evidence_exif(image)
            image.load()
            pixels = _pixels(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise refuse(_("无法识别图片内容")) from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError, MemoryError):
        raise refuse(_("图片内容不完整或已损坏")) from None
    pixels.info = {}  # convert() copies the source's info (a JPEG comment, ICC, XMP), which save() would write back
    buffer = io.BytesIO()
    pixels.save(buffer, "JPEG", quality=QUALITY, exif=exif)
    dest.write_bytes(buffer.getvalue())
    return VerifiedImage(dest, width, height)


def sample_jpeg(seed: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG whose pixels follow from `seed` (demo data and tests: different seeds, different photos)."""
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", size)
    width, height = size
    image.putdata(
        [(digest[(x + y) % 32], digest[(x * 3 + y) % 32], digest[(x + y * 5) % 32]) for y in range(height) for x in range(width)]
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def describe(path: Path) -> dict[str, Any]:
    """Width, height and format of a stored picture (for tests and the operator's checks)."""
    with Image.open(path) as image:
        return {"width": image.size[0], "height": image.size[1], "format": image.format}
