"""Browser fixtures: the application on a real port, and Debian's headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from murphy.app import create_app
from murphy.core.db import Database
from murphy.settings import Settings
from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve
from tests.factories import PASSWORD

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module.

    Not session-wide: while Playwright's sync API is open it keeps an event loop in
    this thread, and later tests on the same worker calling asyncio.run() would fail.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    """The application on the test database, served over HTTP; yields its base URL."""
    with serve(create_app(settings, db=db)) as url:
        yield url


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages about the Content-Security-Policy; pages must cause none."""
    return []


@pytest.fixture
def new_page(browser: Any, live_server: str, csp_violations: list[str]) -> Iterator[Any]:
    """Make pages in fresh browser contexts (own cookies); closed after the test."""
    contexts: list[Any] = []

    def make(
        viewport: dict[str, int] | None = None, *, javascript: bool = True, **options: Any
    ) -> Any:
        context = browser.new_context(
            viewport=viewport or DESKTOP,
            base_url=live_server,
            java_script_enabled=javascript,
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str, path: str = "/incidents") -> None:
    """Open `path`, get sent to the sign-in form, sign in, and land back on `path`."""
    page.goto(path)
    page.wait_for_url("**/login?next=**")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
