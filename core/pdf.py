"""HTML to PDF through Debian's Chromium (the browser the tests already drive): the same templates
as the printable pages, CSS page sizes, and the CJK fonts of the system (fonts-noto-cjk).

Playwright's sync API runs an event loop in the calling thread, so each conversion runs in a
short-lived worker thread: it is safe from a request, a background task or a test alike.
See docs/adr/0009-pdf-by-chromium.md.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip


class PdfUnavailable(RuntimeError):
    """No browser to print with; the message tells the operator what to install."""


def chromium() -> Path:
    return Path(getattr(settings, "ANJU_CHROMIUM", "/usr/bin/chromium"))


def html_to_pdf(html: str, path: Path, *, page_format: str = "A4") -> Path:
    if not chromium().exists():
        raise PdfUnavailable(_("服务器未安装 Chromium，无法生成 PDF（请运行 apt-get install chromium fonts-noto-cjk）。"))
    failure: list[BaseException] = []

    def render() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(chromium()), args=ARGS)
                try:
                    page = browser.new_page()
                    page.set_content(html, wait_until="load", timeout=120_000)
                    page.pdf(path=str(path), format=page_format, print_background=True, prefer_css_page_size=True)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=render, name="pdf", daemon=True)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return path


def attachment(path: Path, filename: str) -> Any:
    """A finished PDF as a download; the temporary file goes as soon as it is open (the handle keeps the bytes)."""
    from core.uploads import send_temporary

    return send_temporary(path, filename, "application/pdf")
