"""Fixtures that drive a real Chromium against a real server.

The app runs in a werkzeug server thread on a free port of 127.0.0.1, with CSRF
protection on, exactly as people meet it. Playwright drives Debian's Chromium; the
browser is never downloaded. When Playwright or Chromium is missing, every browser
test skips and says which one.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories

CHROMIUM = os.environ.get("FORUM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
#: Screenshots land here (git-ignored) so people can look at them after a run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is missing: no executable at {CHROMIUM}")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_app(make_app):
    """The app as a browser meets it: CSRF on, one category to ask in."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        factories.category("Getting started", "Installing, signing in and first steps.")
    return app


@pytest.fixture
def server(live_app):
    """Serve ``live_app`` from a thread; yields the base URL."""
    httpd = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass
class Problems:
    """What a page complained about: console errors, uncaught exceptions, CSP."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")

    def take(self) -> list[str]:
        found, self.messages = self.messages, []
        return found


@pytest.fixture
def new_page(browser, server):
    """Open a page in a fresh context (its own cookies); console errors are recorded.

    ``new_page(javascript=False, viewport=PHONE)`` returns ``(page, problems)``.
    """
    contexts = []

    def opener(*, javascript: bool = True, viewport: dict | None = None):
        context = browser.new_context(base_url=server, java_script_enabled=javascript,
                                      viewport=viewport or DESKTOP, color_scheme="light")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems = Problems()
        problems.watch(page)
        return page, problems

    yield opener
    for context in contexts:
        context.close()
