"""The documentation page renders in a real browser that cannot reach the internet.

Chromium (Debian's package; playwright's own download cannot work here) opens /schema/swagger
from a live server with every request not to 127.0.0.1 aborted, as on a government network.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, Watch, live_app


@pytest.fixture(scope="module")
def live_server(settings: Settings, demo: None) -> Iterator[str]:
    yield from live_app(settings)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here: apt-get install -y chromium")
def test_swagger_page_renders_the_operations_offline(live_server: str) -> None:
    from playwright.sync_api import sync_playwright

    watch = Watch()
    shots = Path(tempfile.mkdtemp(prefix="sws-docs-"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = watch.attach(browser.new_page())
            page.goto(f"{live_server}/schema/swagger", wait_until="networkidle")
            login = page.locator("#operations-identity-V1AuthLoginLogin")
            login.wait_for(timeout=20_000)
            assert "/v1/auth/login" in login.inner_text()
            assert page.locator(".opblock").count() > 100
            page.screenshot(path=str(shots / "swagger.png"), full_page=False)
        finally:
            browser.close()
    assert (shots / "swagger.png").stat().st_size > 10_000
    assert watch.blocked == []  # the page asked nothing of the internet
    assert watch.console_errors == []
