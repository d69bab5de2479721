from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", accept_downloads=True, viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_for(page: Any, expression: str, timeout_ms: float = 20000) -> None:
    """Wait until a JavaScript expression is true. Playwright's wait_for_function compiles its predicate
    with eval inside the page, which the Content-Security-Policy refuses (no 'unsafe-eval');
    page.evaluate runs through the DevTools protocol, outside the page's policy."""
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout_ms / 1000:.0f} s: {expression}")
        page.wait_for_timeout(100)
