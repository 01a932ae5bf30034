"""What the browser tests share: Debian's chromium under Playwright, one browsing session
(:class:`Visit`) that refuses requests to other hosts and records failed responses and
console errors, the axe-core accessibility check, and the screenshots kept for people.

Screenshots a person should look at (the query editor, the map, a Kreis page) are kept under
``var/screenshots/`` of the project (CI keeps that folder as its artefact); every other
screenshot goes to the test's temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from smartregion.settings import PROJECT_DIR

if TYPE_CHECKING:  # the fixture's type only; conftest modules are not imported by tests
    from tests.e2e.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE_SCRIPT = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
KEPT_SCREENSHOTS = PROJECT_DIR / "var" / "screenshots"
# axe-core impacts that fail a page (issue 13: no serious or critical violations)
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium under Playwright (never a downloaded browser)."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run 'make browser' (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


class Visit:
    """One browsing session: a page, the requests it made, and numbered screenshots."""

    def __init__(self, browser: object, server: LiveServer, shots: Path, locale: str,
                 javascript: bool = True) -> None:
        self.server = server
        self.shots = shots
        self.count = 0
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        host = urlsplit(server.url).netloc
        self.context = browser.new_context(  # type: ignore[attr-defined]
            locale=locale, java_script_enabled=javascript,
            viewport={"width": 1280, "height": 900})

        def guard(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if urlsplit(url).netloc != host and not url.startswith(("data:", "blob:")):
                self.foreign.append(url)
                route.abort()  # type: ignore[attr-defined]
            else:
                route.continue_()  # type: ignore[attr-defined]

        self.context.route("**/*", guard)
        self.page: Any = self.context.new_page()

        def on_response(response: object) -> None:
            if response.status >= 400:  # type: ignore[attr-defined]
                self.failed.append(f"{response.status} {response.url}")  # type: ignore[attr-defined]

        def on_console(message: object) -> None:
            if message.type == "error":  # type: ignore[attr-defined]
                self.errors.append(message.text)  # type: ignore[attr-defined]

        self.page.on("response", on_response)
        self.page.on("console", on_console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def shot(self, name: str, keep: bool = False) -> Path:
        """A full-page screenshot; ``keep`` puts it under ``var/screenshots/`` as well."""
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if keep:
            KEPT_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (KEPT_SCREENSHOTS / f"{name}.png").write_bytes(path.read_bytes())
        return path

    def follow(self, action: Callable[[], object]) -> None:
        """Do ``action`` (a click, a key press) and wait for the page it navigates to."""
        with self.page.expect_navigation():
            action()
        self.page.wait_for_load_state()

    def h1(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def lang(self) -> str:
        return str(self.page.locator("html").get_attribute("lang"))

    def accessibility_problems(self) -> list[str]:
        """The serious and critical axe-core violations of the page as it is now."""
        if not AXE_SCRIPT.is_file():
            pytest.skip(f"{AXE_SCRIPT} is missing: run 'make ui' (npm ci)")
        self.page.add_script_tag(path=str(AXE_SCRIPT))
        result = self.page.evaluate(
            "async () => JSON.stringify(await axe.run(document, "
            "{resultTypes: ['violations']}))")
        problems = []
        for violation in json.loads(result)["violations"]:
            if violation["impact"] not in BLOCKING_IMPACTS:
                continue
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            problems.append(f"{violation['impact']} {violation['id']}: {violation['help']} "
                            f"({len(violation['nodes'])}×, e.g. {targets})")
        return problems

    def close(self) -> None:
        self.context.close()

    def check_clean(self) -> None:
        """No request to another host, no failed request, no console error."""
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def visit(browser: object, live_server: LiveServer, tmp_path: Path) -> Iterator[Visit]:
    """A German browsing session, checked for foreign requests, failures and errors."""
    session = Visit(browser, live_server, tmp_path, "de-DE")
    yield session
    session.close()
    session.check_clean()
    assert len(list(tmp_path.glob("*.png"))) == session.count
