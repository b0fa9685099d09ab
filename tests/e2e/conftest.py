"""Browser fixtures: Playwright for Python driving Debian's Chromium (never a downloaded one).

A missing browser fails the run instead of skipping it: CI must exercise the portals.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("PACTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# PACTLINE_SCREENSHOTS=var/screenshots saves every page of every test there, to look at.
SCREENSHOTS = os.environ.get("PACTLINE_SCREENSHOTS")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads (shipping documents, evidence, verification files) go to the test's own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: apt-get install -y chromium (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens pages in fresh browser contexts (one per person in the test). A script error, a
    console error (which is how a Content-Security-Policy violation shows itself) or a failed
    stylesheet, script or image fails the test; an error page the test navigates to does not."""
    contexts, errors = [], []

    def open_page(timezone_id="Europe/Amsterdam", locale="en-GB"):
        context = browser.new_context(
            base_url=live_server.url, timezone_id=timezone_id, locale=locale
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: record_console(msg, errors))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda response: record_failed_resource(response, errors))
        return page

    yield open_page

    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                name = f"{request.node.name}-{n}-{m}.png"
                page.screenshot(path=Path(SCREENSHOTS) / name, full_page=True)
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"


def record_console(message, errors):
    # A failed load is logged as "Failed to load resource"; record_failed_resource judges those.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(message.text)


def record_failed_resource(response, errors):
    if response.status >= 400 and response.request.resource_type != "document":
        errors.append(f"{response.status} {response.url}")


@pytest.fixture
def page(new_page):
    return new_page()


def link_in_mail(message):
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)
