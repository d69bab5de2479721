"""The Content-Security-Policy against the real pages (issue 11 finding 9): with the demo data, a county
officer, a town officer and the field app on a phone go through every page they reach, and the browser
reports no violation. The walk follows the links of each page (GET only, which changes nothing); each
route is visited a few times with different arguments, downloads and PDFs are skipped."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from conftest import PASSWORD
from households.models import Household
from tests.browser.conftest import shot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded in the page before any of its scripts run; the console catches what happens before that.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
# Downloads and PDFs (no page to check, and each PDF starts a browser on the server), and leaving.
NOT_PAGES = re.compile(
    r"logout|pdf|document|label|download|errors|template|bank_file|disclosure|summary|photo|sw|manifest|csp-report|api-schema"
)
# Redoc always draws its maker's logo from cdn.redoc.ly (the bundle hides it when it fails to load):
# the policy blocks that request to a foreign CDN on purpose, and nothing else on the page may fail.
EXPECTED = re.compile(r"img-src.*https://cdn\.redoc\.ly/redoc/logo-mini\.svg|cdn\.redoc\.ly/redoc/logo-mini\.svg.*img-src")
PER_ROUTE = 3
MAX_PAGES = 120


@pytest.fixture
def demo(transactional_db: Any) -> None:
    call_command("create_demo_users", password=PASSWORD, verbosity=0)
    call_command("generate_demo", households=600, verbosity=0)
    call_command("generate_demo_safety", share=0.3, verbosity=0)
    call_command("generate_demo_field", verbosity=0)
    call_command("generate_demo_renovation", verbosity=0)


def watch(page: Any) -> list[str]:
    seen: list[str] = []
    page.context.add_init_script(LISTEN)
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: seen.append(f"report: {r.post_data}") if "/csp-report/" in r.url else None)
    return seen


def violations(page: Any, console: list[str]) -> list[str]:
    return [*console, *page.evaluate("window.__csp || []")]


def log_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = match.view_name
    return None if NOT_PAGES.search(name) else name


def walk(page: Any, console: list[str], start: list[str]) -> dict[str, list[str]]:
    """Every page reachable by links from `start`; returns the violations found on each page."""
    origin = urlsplit(page.url)
    queue, seen, per_route, found = list(start), set(start), Counter[str](), {}
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.pop(0)
        route = route_of(urlsplit(url).path)
        if route is None or per_route[route] >= PER_ROUTE:
            continue
        per_route[route] += 1
        visited += 1
        try:
            page.goto(url)
        except PlaywrightError as exc:  # a link that turned out to be a file (e.g. ?format=xlsx)
            if "Download is starting" in str(exc):
                continue
            raise
        page.wait_for_load_state("networkidle")
        page.mouse.move(400, 300)  # charts draw their tooltips on hover
        page.mouse.move(420, 320)
        page.wait_for_timeout(50)
        bad = violations(page, console)
        bad = [v for v in bad if not EXPECTED.search(v)]  # only Redoc loads it; a report may arrive a page later
        console.clear()
        if bad:
            found[url] = bad
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urldefrag(href).url
            parts = urlsplit(link)
            if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc) or link in seen:
                continue
            seen.add(link)
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert visited > 10, f"the walk reached only {visited} pages"
    return found


@pytest.mark.parametrize("username", ["sd_county", "sd_town"])
def test_no_page_a_user_reaches_violates_the_policy(page: Any, demo: None, username: str) -> None:
    console = watch(page)
    log_in(page, username)
    found = walk(page, console, ["/", "/api/docs/", "/api/redoc/"])
    shot(page, f"csp-{username}")
    assert found == {}


def test_the_field_app_runs_under_the_policy(browser: Any, live_server: Any, demo: None) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844},
        geolocation={"latitude": 37.5003, "longitude": 110.2502, "accuracy": 15}, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(20000)
    console = watch(page)
    page.goto("/field/")
    page.fill("#login-form [name=username]", "sd_town")
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#screen-home:not(.d-none)")
    page.evaluate("navigator.serviceWorker.ready")
    page.click("#pick-villages")
    page.wait_for_selector("#village-list input")
    head = Household.objects.filter(region_code__startswith="610826100").order_by("id").first()
    assert head is not None
    page.check(f"#village-list input[value='{head.region_code}']")
    page.click("#download")
    wait_for(page, "/[1-9]\\d* 户/.test(document.querySelector('#local-summary').textContent)")
    page.fill("#search", head.head_name)
    page.locator("#results [data-id]").first.click()
    page.wait_for_selector("#screen-household:not(.d-none)")
    page.locator("[data-inspect]").first.click()
    page.wait_for_selector("#screen-inspect:not(.d-none)")
    page.check("#inspect-form [name=verdict][value=suspect]")
    page.click("#inspect-form [data-gps]")
    wait_for(page, "document.querySelector('#inspect-form [data-gps-text]').textContent.includes('±')")
    shot(page, "csp-field")
    page.reload()  # the shell again, now from the service worker
    page.wait_for_selector("#screen-home:not(.d-none)")
    for path in ("/field/flags/", "/field/conflicts/"):
        page.goto(path)
    bad = violations(page, console)
    context.close()
    assert bad == []
