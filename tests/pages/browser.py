"""Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright against a live gunicorn, with axe-core.

``site`` is the base URL of a gunicorn on a free loopback port (one per module)
with ``CAREOPS_PUBLIC_URL`` set to its own address, so the links on its pages
lead back to it; ``browser`` is one Chromium per module. Each
page visited is checked with axe-core (:func:`check_a11y`: no serious or
critical violation) and, when ``CAREOPS_SCREENSHOTS`` names a directory,
photographed at 375 and 1280 px wide (:func:`shoot`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.live import LiveServer, server_env

CHROMIUM = os.environ.get("CAREOPS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("CAREOPS_SCREENSHOTS")
WIDTHS = ((375, 812), (1280, 900))


def chromium_missing() -> bool:
    return not Path(CHROMIUM).exists()


@pytest.fixture(scope="module")
def _server(_schema, app_config, tmp_path_factory):
    """One gunicorn (2 workers, immediate tasks) per module on the test database: it only reads and writes
    rows, so each test's emptied tables are what it serves. Stopped at teardown."""
    server = LiveServer(server_env(app_config), workers=2, log_path=tmp_path_factory.mktemp("pages") / "gunicorn.log")
    server.env["CAREOPS_PUBLIC_URL"] = server.base_url
    server.start()
    yield server.base_url
    server.stop()


@pytest.fixture
def site(app, _server):
    """Base URL of the live pages, after ``app`` has emptied the tables for this test."""
    return _server


@pytest.fixture(scope="module")
def browser():
    if chromium_missing():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """A browser context for one visitor; collects console errors (a CSP violation is one)."""

    def __init__(self, browser, *, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        # Loaded pages answer in well under a second; a wait this long means the test is stuck.
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        # A page answered 409/422 on purpose logs "Failed to load resource"; a sub-resource failing
        # (a stylesheet, a script, the icon) is caught by the response check instead.
        self.page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and not msg.text.startswith("Failed to load")
                and self.console_errors.append(msg.text)
            ),
        )
        self.page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.request.resource_type != "document"
                and self.console_errors.append(f"{r.status} {r.url}")
            ),
        )

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    visits = []

    def open_visit(**kwargs) -> Visit:
        visits.append(Visit(browser, **kwargs))
        return visits[-1]

    yield open_visit
    for v in visits:
        v.close()


def check_a11y(page, name: str) -> None:
    """axe-core in the page: no serious or critical violation (the report names each one)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad
    )


def shoot(page, name: str) -> None:
    """``docs/screenshots/{name}-375.png`` and ``-1280.png`` when CAREOPS_SCREENSHOTS is set."""
    if not SCREENSHOTS:
        return
    out = Path(SCREENSHOTS)
    out.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(before)


def seen(page, name: str) -> None:
    check_a11y(page, name)
    shoot(page, name)
