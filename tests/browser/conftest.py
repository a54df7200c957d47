"""Browser tests: Debian's Chromium driven by Playwright against a live Regie with the demo data.

No browser is ever downloaded: Playwright drives /usr/bin/chromium. The tests are skipped, loudly,
when Chromium or axe-core (from `npm ci`) is missing, unless REGIE_TEST_REQUIRE_BROWSER=1, which
`.ci/run` sets once it has installed both. They run on SQLite only: one live server and one demo
database per test module keeps the suite fast; tests that change data make their own casus or
use a step no other test in the module touches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    StorageState,
    ViewportSize,
    expect,
    sync_playwright,
)

from app.auth.tokens import issue_dev_token
from app.config import Settings
from app.demo import load_demo
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_BROWSER = os.environ.get("REGIE_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000  # every wait is bounded; nothing in these pages should take longer
expect.set_options(timeout=TIMEOUT_MS)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Served under our own origin (see `assert_accessible`), so the page's CSP stays as it is.
AXE_URL_PATH = "/__test__/axe.min.js"

# The sections of the twente-2020.1 form, in order: the head, the seven steps, the agreements.
SECTIONS = [
    "kop",
    "betrokkenheid",
    "situatie",
    "doelen",
    "taakverdeling",
    "regie",
    "afstemming",
    "borging",
    "afspraken",
]
DEMO_NAMES = {
    "a.jansen": "Anna Jansen",
    "b.bakker": "Bram Bakker",
    "c.visser": "Carla Visser",
    "d.smit": "Dirk Smit",
    "e.mulder": "Eva Mulder",
    "o.kennis": "Olaf Kennis",
    "f.beheer": "Fleur Beheer",
}

_browser_status: dict[str, str] = {}


def _missing() -> str | None:
    """None when the browser tests can run, else what is missing and how to get it."""
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} ontbreekt (apt-get install chromium)")
    if not AXE.is_file():
        problems.append(f"{AXE.relative_to(ROOT)} ontbreekt (npm ci)")
    return "; ".join(problems) or None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "skipped" in _browser_status:
        terminalreporter.write_sep(
            "!",
            f"Browsertests NIET uitgevoerd: {_browser_status['skipped']}",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    reason = _missing()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"Browsertests vereist (REGIE_TEST_REQUIRE_BROWSER=1), maar: {reason}")
        _browser_status["skipped"] = reason
        pytest.skip(f"Browsertests overgeslagen: {reason}")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, never a downloaded one."""
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
    )
    yield chromium
    chromium.close()


@dataclass(frozen=True)
class Live:
    """A running Regie with the demo data: its address, settings and the demo casus ids."""

    url: str
    settings: Settings
    sem: str  # a.jansen leads; b.bakker and c.visser are betrokkenen
    lotte: str  # b.bakker leads; d.smit betrokkene, e.mulder volger
    noah: str  # closed; c.visser and d.smit

    def api(self, gebruikersnaam: str) -> httpx.Client:
        """An API client for one demo account, to set up or check what the browser cannot see."""
        token = issue_dev_token(self.settings, gebruikersnaam)
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


def _casus_ids(live_url: str, settings: Settings) -> dict[str, str]:
    ids: dict[str, str] = {}
    for wie, welke in (("a.jansen", "sem"), ("b.bakker", "lotte"), ("c.visser", "noah")):
        token = issue_dev_token(settings, wie)
        with httpx.Client(base_url=live_url, timeout=10) as http:
            response = http.get("/api/v1/casussen", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        rows = response.json()["resultaten"]
        leading = [r for r in rows if r["regievoerder"]["gebruikersnaam"] == wie]
        assert len(leading) == 1, rows
        ids[welke] = str(leading[0]["id"])
    return ids


@pytest.fixture(scope="module")
def live(
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    keys_dir: Path,
) -> Iterator[Live]:
    """Regie behind uvicorn on 127.0.0.1 (free port) with the demo data; one per test module.

    Asks for the browser first, so a missing browser skips the module before any server starts.
    """
    db = tmp_path_factory.mktemp("browser") / "regie.db"
    shutil.copyfile(sqlite_template, db)
    # The sign-in and link limits are tested on their own (tests/web/test_rate_limit.py); here
    # one client address runs every page of a module within minutes.
    settings = Settings(
        env="dev", data_dir=keys_dir, database_url=f"sqlite:///{db}", aanmelden_per_minuut=1000
    )
    app = create_app(settings)
    load_demo(settings, app.state.engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    yield Live(url=url, settings=settings, **_casus_ids(url, settings))
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def new_context(
    browser: Browser, live: Live, storage_state: StorageState | None = None
) -> BrowserContext:
    """A fresh browser profile (own cookies) on the live server, in Dutch, with bounded waits."""
    context = browser.new_context(
        base_url=live.url,
        viewport=VIEWPORT,
        storage_state=storage_state,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.on("page", _watch)
    # axe-core comes from node_modules, served as if it were one of our own files (see below).
    context.route(
        f"{live.url}{AXE_URL_PATH}",
        lambda route: route.fulfill(path=AXE, content_type="text/javascript"),
    )
    return context


PROBLEMS: dict[Page, list[str]] = {}


def _watch(page: Page) -> None:
    """Remember what a page complains about: script errors and anything the CSP refused."""
    problems = PROBLEMS.setdefault(page, [])

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    def script_error(error: Error) -> None:
        problems.append(f"JavaScript: {error}")

    def forget(closed: Page) -> None:
        PROBLEMS.pop(closed, None)

    page.on("console", console)
    page.on("pageerror", script_error)
    page.on("close", forget)


class Sessions:
    """Browser profiles signed in as demo accounts; each signs in through the page only once."""

    def __init__(self, browser: Browser, live: Live) -> None:
        self.browser, self.live = browser, live
        self.states: dict[str, StorageState] = {}
        self.contexts: list[BrowserContext] = []
        self.shared: dict[str | None, Page] = {}

    def new_page(self, gebruikersnaam: str | None) -> Page:
        """A page in a profile of its own (None: not signed in)."""
        state = self.states.get(gebruikersnaam) if gebruikersnaam else None
        context = new_context(self.browser, self.live, state)
        self.contexts.append(context)
        page = context.new_page()
        if gebruikersnaam and state is None:
            sign_in(page, gebruikersnaam)
            self.states[gebruikersnaam] = context.storage_state()
        return page

    def shared_page(self, gebruikersnaam: str | None) -> Page:
        """One page per account for the whole module: for tests that only look."""
        page = self.shared.get(gebruikersnaam)
        if page is None or page.is_closed():
            page = self.shared[gebruikersnaam] = self.new_page(gebruikersnaam)
        return page

    def close(self, keep_shared: bool) -> None:
        shared = {p.context for p in self.shared.values()} if keep_shared else set()
        for context in [c for c in self.contexts if c not in shared]:
            context.close()
        self.contexts = [c for c in self.contexts if c in shared]


@pytest.fixture(scope="module")
def sessions(browser: Browser, live: Live) -> Iterator[Sessions]:
    all_sessions = Sessions(browser, live)
    yield all_sessions
    all_sessions.close(keep_shared=False)


@pytest.fixture
def open_as(sessions: Sessions) -> Iterator[Callable[[str | None], Page]]:
    """A page in a fresh browser profile, signed in as a demo account; closed after the test."""
    yield sessions.new_page
    sessions.close(keep_shared=True)


@pytest.fixture
def look_as(sessions: Sessions) -> Callable[[str | None], Page]:
    """A page shared by the module's tests for that account: only for tests that change nothing."""
    return sessions.shared_page


def sign_in(page: Page, gebruikersnaam: str) -> None:
    """Dev sign-in as the user would: pick the demo account, press "Aanmelden"."""
    page.goto("/aanmelden")
    page.get_by_label(re.compile(re.escape(DEMO_NAMES[gebruikersnaam]) + r" \(")).check()
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r"/casussen"))
    assert page.get_by_text(DEMO_NAMES[gebruikersnaam]).first.is_visible()


def assert_accessible(page: Page, what: str) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA) finds nothing on the page as it is now.

    Our CSP is `script-src 'self'`, so an inline script tag (add_script_tag with path= or
    content=) is refused. Rather than switching the CSP off (bypass_csp would also hide our own
    CSP mistakes), the context routes AXE_URL_PATH on our origin to node_modules/axe-core, and
    the page loads it as an ordinary same-origin script.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL_PATH)
    result = page.evaluate(
        "async (tags) => {"
        "  const r = await axe.run(document, {runOnly: tags});"
        "  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        "    helpUrl: v.helpUrl, nodes: v.nodes.map(n => ({target: n.target,"
        "    html: n.html, summary: n.failureSummary}))}));"
        "}",
        WCAG_TAGS,
    )
    problems = PROBLEMS.get(page, [])
    assert not problems, f"{what} ({page.url}): " + "; ".join(problems)
    if result:
        lines = [f"axe-core: {len(result)} overtreding(en) op {what} ({page.url}):"]
        for v in result:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"]:
                lines.append(f"    {json.dumps(node['target'])}: {node['html'][:200]}")
                lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)


def focused(page: Page) -> dict[str, Any]:
    """What has keyboard focus, whether the browser shows it (:focus-visible plus a ring), and
    whether it sits inside something the page meant to hide."""
    info: dict[str, Any] = page.evaluate(
        "() => { const el = document.activeElement; if (!el || el === document.body) return {};"
        "  const s = getComputedStyle(el);"
        "  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)"
        "    || s.boxShadow !== 'none';"
        "  return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '',"
        "    name: el.getAttribute('name') || '',"
        "    text: (el.innerText || el.value || '').trim().replace(/\\s+/g, ' '),"
        "    label: el.labels && el.labels[0] ? el.labels[0].innerText.trim() : '',"
        "    href: el.getAttribute('href') || '', visible: el.matches(':focus-visible'),"
        "    ring: ring, hidden: !!el.closest('[hidden]')}; }"
    )
    return info
