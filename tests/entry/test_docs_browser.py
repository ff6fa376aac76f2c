"""The documentation page renders in a real browser that cannot reach the internet.

Chromium (Debian's package; playwright's own download cannot work here) opens /schema/swagger
from a live server with every request not to 127.0.0.1 aborted, as on a government network.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from services.entry.api import create_app
from services.kit.settings import Settings
from tests.support.network import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def live_server(settings: Settings, demo: None) -> Iterator[str]:
    """The app on a free loopback port, in a thread of its own."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here: apt-get install -y chromium")
def test_swagger_page_renders_the_operations_offline(live_server: str) -> None:
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    console_errors: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    shots = Path(tempfile.mkdtemp(prefix="sws-docs-"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.on(
                "console",
                lambda message: (
                    console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.goto(f"{live_server}/schema/swagger", wait_until="networkidle")
            login = page.locator("#operations-identity-V1AuthLoginLogin")
            login.wait_for(timeout=20_000)
            assert "/v1/auth/login" in login.inner_text()
            assert page.locator(".opblock").count() > 100
            page.screenshot(path=str(shots / "swagger.png"), full_page=False)
        finally:
            browser.close()
    assert (shots / "swagger.png").stat().st_size > 10_000
    assert blocked == []  # the page asked nothing of the internet
    assert console_errors == []
