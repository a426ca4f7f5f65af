"""A live server for browser tests that sees the seeded demo city and leaves it intact.

pytest-django's `live_server` forces `transactional_db`, whose teardown flushes every table:
the once-per-session demo city would be gone for every test after it. Instead this server
thread shares the test's own database connection (as Django does for in-memory SQLite), so
the browser reads the seeded city and everything it writes is rolled back with the test.
Requests are served one at a time so the shared connection is never used concurrently.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIServer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from playwright.sync_api import expect

# Upper bounds, not delays (the page timeouts in the tests are the same): a 2-core CI machine
# running two test processes can take more than Playwright's default 5 s to answer.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# A phone-sized touch screen.
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@contextlib.contextmanager
def browser_page(**context_options: Any) -> Iterator[tuple[Any, list[str]]]:
    """(page, errors): a page of Debian's Chromium in a zh-CN context (with `context_options`);
    `errors` collects script errors and console errors (CSP violations, failed loads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", **context_options)
            context.set_default_timeout(15000)
            page = context.new_page()
            errors: list[str] = []
            page.on(
                "console",
                lambda msg: (
                    errors.append(f"{msg.text} {msg.location.get('url', '')}")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()


def log_in(page: Any, login_url: str, username: str, password: str) -> None:
    """Submit the login form at `login_url`; the caller waits for where it leads."""
    page.goto(login_url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


class _SerialWSGIServer(WSGIServer):
    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class _SharedConnectionServerThread(LiveServerThread):
    server_class = _SerialWSGIServer

    def run(self) -> None:
        for alias, conn in (self.connections_override or {}).items():
            connections[alias] = conn
        try:
            self.httpd = _SerialWSGIServer(
                (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
            )
            self.port = self.httpd.server_address[1]
            self.httpd.set_app(self.static_handler(WSGIHandler()))
            self.is_ready.set()
            self.httpd.serve_forever()
        except Exception as exc:  # surfaced to the test by the fixture
            self.error = exc
            self.is_ready.set()
        # Unlike Django's thread, do not close the connections: they belong to the test.


@pytest.fixture
def shared_live_server(db: Any) -> Iterator[str]:
    conn = connections["default"]
    conn.inc_thread_sharing()
    # The request signals would close a connection found inside a transaction (the test's).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    thread = _SharedConnectionServerThread(
        "127.0.0.1", StaticFilesHandler, connections_override={"default": conn}
    )
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        conn.dec_thread_sharing()
