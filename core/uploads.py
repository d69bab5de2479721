"""What every file sent to Anju goes through, and how files go back out (ADR 0020).

* Kinds are told by their first bytes (`sniff`), never by the name's suffix or the type the client
  declares.
* Size is enforced while the body arrives: `LimitedUploadHandler` stops a multipart upload once
  `ANJU_MAX_UPLOAD_MB` is passed (Django's StopUpload), `BodySizeMiddleware` refuses any other body
  longer than DATA_UPLOAD_MAX_MEMORY_SIZE before it is read, and `spool` copies a raw body to disk
  piece by piece with a cap.
* Temporary files live in VAR_DIR/tmp (`temp_path`) and a download of one deletes it
  (`send_temporary`); user files are served by `serve_user_file` with their verified type,
  `nosniff`, `CSP: sandbox`, and as an attachment unless they are verified, re-encoded images.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

PIECE = 64 * 1024
INLINE_TYPES = frozenset({"image/jpeg"})  # what Anju itself re-encodes; nothing else is ever shown inline

# --- limits (settings, with the defaults documented in docs/operations.md) -----------------------


def max_upload_bytes() -> int:
    return int(getattr(settings, "ANJU_MAX_UPLOAD_MB", 200)) * 1024 * 1024


def max_photo_bytes() -> int:
    return int(getattr(settings, "ANJU_MAX_PHOTO_MB", 10)) * 1024 * 1024


def too_large_message(limit: int | None = None) -> str:
    mb = (limit or max_upload_bytes()) // (1024 * 1024)
    return _("上传的文件超过 %(mb)d MB 的上限，请拆分或压缩后再上传。") % {"mb": mb}


# --- kinds by their first bytes -------------------------------------------------------------------

MAGIC: list[tuple[bytes, int, str]] = [  # (bytes, at offset, kind)
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"WEBP", 8, "webp"),  # after "RIFF" and the length
    (b"PK\x03\x04", 0, "zip"),  # .xlsx / .xlsm
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "ole"),  # .xls (Excel 97-2003, WPS)
    (b"%PDF-", 0, "pdf"),
]
SUFFIX_KINDS = {".xlsx": "zip", ".xlsm": "zip", ".xls": "ole", ".csv": "text"}


def sniff(head: bytes) -> str:
    """The kind of content from its first bytes: jpeg, png, webp, zip, ole, pdf, text (no NUL byte) or unknown."""
    for magic, at, kind in MAGIC:
        if head[at : at + len(magic)] == magic and (kind != "webp" or head[:4] == b"RIFF"):
            return kind
    return "text" if head and b"\x00" not in head else "unknown"


def sniff_file(path: Path) -> str:
    with path.open("rb") as fh:
        return sniff(fh.read(4096))


def check_spreadsheet_kind(path: Path, original_name: str) -> None:
    """A spreadsheet's content must be what its suffix says (an .xlsx is a zip, an .xls an OLE file, a .csv text)."""
    suffix = Path(original_name or path.name).suffix.lower()
    expected = SUFFIX_KINDS.get(suffix)
    if expected is None:
        raise ValidationError(_("只支持 Excel（.xlsx、.xls）和 .csv 文件。"))
    if sniff_file(path) != expected:
        raise ValidationError(
            _("文件内容与扩展名 %(s)s 不符（可能是改了扩展名的其他文件），请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
            % {"s": suffix}
        )


# --- receiving ------------------------------------------------------------------------------------


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: stops a multipart body once it passes ANJU_MAX_UPLOAD_MB.

    The form fields before the file (the CSRF token) are kept; the file is dropped, and the view
    learns why from `uploaded_file` (never a 500, never the whole body in memory or on disk)."""

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None) -> None:
        self.received = 0
        self.declared_too_large = content_length > max_upload_bytes()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if getattr(self, "declared_too_large", False):
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > max_upload_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.upload_refused = too_large_message()  # type: ignore[attr-defined]
        raise StopUpload(connection_reset=True)


def check_upload(request: Any) -> None:
    """ValidationError if LimitedUploadHandler stopped this request's upload (works for a DRF Request too)."""
    refused = getattr(getattr(request, "_request", request), "upload_refused", "")
    if refused:
        raise ValidationError(refused)


def uploaded_file(request: Any, name: str) -> UploadedFile | None:
    """`request.FILES[name]`, or a ValidationError saying the upload was too large and stopped."""
    files = request.FILES  # parses the body first
    check_upload(request)
    found: UploadedFile | None = files.get(name)
    return found


def uploaded_files(request: Any, name: str) -> list[UploadedFile]:
    files = request.FILES
    check_upload(request)
    return list(files.getlist(name))


class BodySizeMiddleware:
    """Any body other than multipart (JSON, raw photo pieces, forms) longer than DATA_UPLOAD_MAX_MEMORY_SIZE
    is refused with 413 before it is read: DRF's parsers do not look at that setting themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if limit is not None and not multipart and length > limit:
            message = too_large_message(limit)
            if request.path.startswith("/api/"):
                body = json.dumps({"detail": message}, ensure_ascii=False)
                return HttpResponse(body, status=413, content_type="application/json; charset=utf-8")
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def spool(stream: IO[bytes] | bytes | None, limit: int, message: str) -> Path:
    """Copy a body (a stream or bytes) to a temporary file, at most `limit` bytes; ValidationError(message) beyond."""
    path = temp_path(".part")
    source: Iterator[bytes]
    if stream is None:
        source = iter(())
    elif isinstance(stream, bytes | bytearray):
        source = iter([bytes(stream)])
    else:
        source = iter(lambda: stream.read(PIECE), b"")
    written = 0
    try:
        with path.open("wb") as out:
            for piece in source:
                written += len(piece)
                if written > limit:
                    raise ValidationError(message)
                out.write(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def save_upload(upload: UploadedFile, path: Path, limit: int | None = None) -> Path:
    """An uploaded file written to `path` piece by piece (never read whole), at most `limit` bytes."""
    limit = limit or max_upload_bytes()
    written = 0
    try:
        with path.open("wb") as out:
            for piece in upload.chunks(PIECE):
                written += len(piece)
                if written > limit:
                    raise ValidationError(too_large_message(limit))
                out.write(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


# --- temporary files ------------------------------------------------------------------------------


def temp_dir() -> Path:
    path = Path(getattr(settings, "ANJU_TMP_DIR", Path(settings.VAR_DIR) / "tmp"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def temp_path(suffix: str = "") -> Path:
    """A fresh name in the project's own temporary folder (never /tmp, which other users of the host can read)."""
    return temp_dir() / f"{uuid.uuid4().hex}{suffix}"


@contextmanager
def temporary(suffix: str = "") -> Iterator[Path]:
    """A temporary file that is deleted when the block ends, whatever happens in it."""
    path = temp_path(suffix)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def send_temporary(path: Path, filename: str, content_type: str | None = None) -> FileResponse:
    """A temporary file as a download; the file is deleted at once (the open handle keeps its bytes)."""
    try:
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    return harden(response)


# --- serving user files ---------------------------------------------------------------------------


def harden(response: HttpResponse | FileResponse) -> Any:
    """Headers for any file a user sent or Anju wrote from users' data: the browser neither sniffs nor runs it."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


DOWNLOAD_TYPES = frozenset({
    "image/jpeg", "application/pdf", "text/csv", "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
})  # fmt: skip


def serve_user_file(handle: IO[bytes], *, content_type: str, filename: str, inline: bool = False) -> FileResponse:
    """A stored user file. Inline only when the caller verified it as an image Anju re-encoded (`inline`) and its
    type is one Anju writes; otherwise a download, typed only with a type Anju writes itself (else octet-stream)."""
    shown = inline and content_type in INLINE_TYPES
    served_type = content_type if content_type in DOWNLOAD_TYPES else "application/octet-stream"
    response = FileResponse(handle, as_attachment=not shown, filename=filename, content_type=served_type)
    return harden(response)  # type: ignore[no-any-return]
