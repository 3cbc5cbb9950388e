"""Browser journeys: Playwright's sync API driving Debian's /usr/bin/chromium against pytest-django's
live server (a thread on 127.0.0.1 serving the app and its static files, transaction=True semantics).

Never run ``playwright install``: the Python wheel ships the driver, the browser is the distro's.
Without /usr/bin/chromium (or the playwright package) every test here is skipped with the reason.

Fixtures:
- ``browser`` (module): one headless Chromium per test module and process (xdist workers each
  have their own).
- ``world``: ``tests.factories.build_world()`` (users applicant1, clerk, finance, bank1…; password
  ``pass-12345``), with the role groups re-created first (a transaction=True flush removes them).
- ``ui``: a :class:`Browsing` for this test: ``ui.login(username)`` opens a fresh desktop context
  and signs in through the real login form; ``ui.shot(page, step)`` saves
  ``var/screenshots/<test>-<step>.png``; ``ui.check_mobile()`` revisits every page seen at 390×844.
  After the test, ``ui.check_pages()`` revisits every page seen at 1366 and 390 px: axe-core must
  find no serious or critical violation, no text may read as an unformatted amount, and none as a raw
  field key or machine word (``raw_words``: ``cap_per_project``, ``under_review``, ``None``…).
  Every page it opens fails the test on an error-level console message, an uncaught page error or
  a 5xx response.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import build_world, ensure_role_groups

CHROMIUM = Path(os.environ.get("IPFUND_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--lang=zh-CN",  # the browser's own controls (file and date inputs) in Chinese, as people see them
]
DESKTOP = {"width": 1366, "height": 900}
MOBILE = {"width": 390, "height": 844}
PASSWORD = "pass-12345"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
TIMEOUT_MS = 10_000
# Chromium asks every site for /favicon.ico on its own; the site has none (templates/base.html links no
# icon), so that 404 is the browser's habit, not a page's error. Anything else logged as an error fails.
IGNORED_CONSOLE_SOURCES = ("/favicon.ico",)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-dev.txt pins it
    sync_playwright = None
try:  # axe-core, bundled in the wheel and injected into the page: no outside network
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - requirements-dev.txt pins it
    Axe = None

# Amounts a person reads are grouped (1,234,567.89) and never in exponent form: five or more digits
# before the fen without a separator, or an "E+"/"E-" exponent, is an unformatted number.
UNFORMATTED = re.compile(r"(?<![\d,.])\d{5,}\.\d{2}(?!\d)|\d(?:\.\d+)?E[+-]\d")
# Numbers that are identifiers, not amounts: patent numbers (ZL202510012345.6), credit codes, IDs.
IDENTIFIER = re.compile(r"(?:ZL|CN|US|EP|JP|KR|WO)\s?\d[\d.]*|[0-9A-Z]{18}")


# Raw field keys and machine words a person should never read (issue #13: "no page shows a raw field
# key"): snake_case identifiers (cap_per_project, interest_subsidy, under_review, non_field_errors),
# the literals Python or JavaScript print for a missing or boolean value, and the one-word values of
# the workflow's states, transitions and program codes (draft, approve, industrialization). Latin
# letters, digits and "_" only, so a key run into Chinese text ("状态under_review") still counts; a file
# name (可行性_研究.pdf), an e-mail address or a path is not a key. Roles are left out: "finance" and
# "admin" are also usernames, which pages show.
_ASCII_BEFORE = r"(?<![A-Za-z0-9_.@/\\-])"
_ASCII_AFTER = r"(?![A-Za-z0-9_@/\\-]|\.[A-Za-z0-9])"
SNAKE_CASE = re.compile(_ASCII_BEFORE + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+" + _ASCII_AFTER)
LITERALS = re.compile(_ASCII_BEFORE + r"(?:None|True|False|null|undefined|NaN)" + _ASCII_AFTER + r"|\[object Object\]")
# Words of the list that a page may show, each with its reason (keep it short).
RAW_WORDS_ALLOWED: dict[str, str] = {}


@functools.cache
def _machine_words() -> re.Pattern:
    from funding.workflow import ProgramCode, State, Transition  # noqa: PLC0415  Django is set up by now

    words = sorted({v for v in (*State.values, *Transition.values, *ProgramCode.values) if "_" not in v})
    return re.compile(_ASCII_BEFORE + "(?:" + "|".join(map(re.escape, words)) + ")" + _ASCII_AFTER)


def raw_words(text: str) -> list[str]:
    """The raw field keys and machine words in a page's text (``SNAKE_CASE``, ``LITERALS``, the
    workflow's one-word values), less ``RAW_WORDS_ALLOWED``."""
    found = [m.group(0) for rx in (SNAKE_CASE, LITERALS, _machine_words()) for m in rx.finditer(text)]
    return [word for word in dict.fromkeys(found) if word not in RAW_WORDS_ALLOWED]


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "browser tests need the playwright package (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-zenhei)"
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = _skip_reason()
    for item in items:
        if here not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, bound to 127.0.0.1 (its default, ``localhost``, may resolve to ::1)."""
    from pytest_django.live_server_helper import LiveServer  # noqa: PLC0415  pytest-django internals, only for the browser session

    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (per xdist worker).

    Playwright's sync API marks its event loop as running in this thread between calls, so Django
    would refuse ORM calls from the test as "an async context": DJANGO_ALLOW_ASYNC_UNSAFE is set only
    while the browser lives, and the module scope ends both before any other module's tests run.
    """
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        asyncio._set_running_loop(None)  # never leave the closed loop marked as running


@pytest.fixture
def world(transactional_db):
    ensure_role_groups()  # transaction=True tests flush the data migration's groups
    return build_world()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


@dataclass
class Browsing:
    browser: object
    base_url: str
    test_name: str
    errors: list[str] = field(default_factory=list)
    visited: list[tuple[str, str]] = field(default_factory=list)  # (username, path)
    contexts: list = field(default_factory=list)
    _states: dict[str, dict] = field(default_factory=dict)
    _shots: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- pages and contexts -----------------------------------------------------------------------
    def new_page(self, *, viewport: dict = DESKTOP, storage_state: dict | None = None, locale: str = "zh-CN",
                 user: str = ""):
        context = self.browser.new_context(viewport=viewport, storage_state=storage_state, locale=locale,
                                           reduced_motion="reduce",
                                           is_mobile=viewport is MOBILE, has_touch=viewport is MOBILE)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self._watch(page, user)
        return page

    def _watch(self, page, user: str) -> None:
        def on_console(msg):
            if msg.type != "error":
                return
            source = (msg.location or {}).get("url", "")
            if source.endswith(IGNORED_CONSOLE_SOURCES):
                return
            self.errors.append(f"console error on {page.url}: {msg.text} ({source})")

        def on_page_error(exc):
            self.errors.append(f"page error on {page.url}: {exc}")

        def on_response(response):
            if response.status >= 500:
                self.errors.append(f"HTTP {response.status} for {response.url}")
            request = response.request
            # Pages to revisit: documents fetched by GET and shown (a POST's answer cannot be refetched).
            if (request.resource_type == "document" and request.method == "GET" and response.status == 200
                    and response.url.startswith(self.base_url)):
                path = response.url.removeprefix(self.base_url) or "/"
                if (user, path) not in self.visited:
                    self.visited.append((user, path))

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)

    def login(self, username: str, *, password: str = PASSWORD):
        """A fresh desktop context signed in as ``username`` through the login form."""
        page = self.new_page(user=username)
        page.goto(self.url("/accounts/login/"))
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"login as {username} failed: {page.url}"
        self._states[username] = page.context.storage_state()
        return page

    # --- evidence ---------------------------------------------------------------------------------
    def shot(self, page, step: str, *, full_page: bool = True) -> Path:
        self._shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{self._shots:02d}-{_slug(step)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def check_mobile(self, known: dict[str, str] | None = None) -> None:
        """Revisit every page seen so far at 390×844, as the same user: no horizontal overflow of the
        document, and the collapsed main nav opens from its toggler.

        ``known`` maps a path regex to the reason of a known, reported layout bug: problems only on
        such paths make the test xfail with that reason; any other problem fails it.
        """
        known = known or {}
        problems: list[tuple[str, str]] = []
        for username, path in self.visited:
            if username and path.startswith("/accounts/login/"):
                continue  # seen before signing in; test_login covers it at 390 px
            page = self.new_page(viewport=MOBILE, storage_state=self._states.get(username), user=username)
            page.goto(self.url(path))
            who = username or "anonymous"
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > MOBILE["width"] + 1:
                problems.append((path, f"{path} ({who}): scrollWidth {width} > {MOBILE['width']}"))
            toggler = page.locator("header .navbar-toggler")
            if not toggler.is_visible():
                problems.append((path, f"{path} ({who}): nav toggler not visible at {MOBILE['width']} px"))
            else:
                toggler.click()
                page.locator("#navbar-main").wait_for(state="visible")
            self.shot(page, f"mobile-{_slug(path) or 'home'}", full_page=False)
            page.context.close()
        unknown = [text for path, text in problems if not any(re.search(rx, path) for rx in known)]
        assert not unknown, f"at {MOBILE['width']} px:\n" + "\n".join(unknown)
        reasons = sorted({reason for path, _ in problems for rx, reason in known.items() if re.search(rx, path)})
        if reasons:
            pytest.xfail("; ".join(reasons) + " — " + "; ".join(text for _, text in problems))

    def check_pages(self, *, viewports: tuple[dict, ...] = (DESKTOP, MOBILE)) -> None:
        """Revisit every page seen so far, as the same user, at each viewport: axe-core finds no
        serious or critical violation, no text reads as an unformatted amount (``UNFORMATTED``) and
        none as a raw field key or machine word (``raw_words``)."""
        assert Axe is not None, "axe-playwright-python is in requirements-dev.txt"
        axe = Axe()
        problems: list[str] = []
        for username, path in self.visited:
            for viewport in viewports:
                page = self.new_page(viewport=viewport, storage_state=self._states.get(username), user=username)
                page.goto(self.url(path))
                who = f"{path} ({username or 'anonymous'}, {viewport['width']} px)"
                results = axe.run(page)
                for violation in results.response.get("violations", []):
                    if violation.get("impact") in ("serious", "critical"):
                        targets = "; ".join(" ".join(node.get("target", [])) for node in violation["nodes"][:3])
                        problems.append(f"{who}: axe {violation['id']} ({violation['impact']}): "
                                        f"{violation['help']} — {targets}")
                if viewport is DESKTOP:
                    text = IDENTIFIER.sub(" ", page.locator("body").inner_text())
                    for match in UNFORMATTED.finditer(text):
                        problems.append(f"{who}: unformatted number {match.group(0)!r}")
                    for word in raw_words(text):
                        problems.append(f"{who}: raw field key or machine word {word!r}")
                page.context.close()
        assert not problems, "\n".join(problems)

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except Exception:  # already closed with its browser
                pass


@pytest.fixture
def ui(request, browser, live_server, world):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = _slug(request.node.name)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):  # a rerun replaces this test's pictures
        old.unlink(missing_ok=True)
    browsing = Browsing(browser=browser, base_url=live_server.url, test_name=name)
    yield browsing
    if not browsing.errors and request.node.get_closest_marker("no_page_checks") is None:
        try:  # every page the test saw: accessible (axe-core) and with its numbers written for people
            browsing.check_pages()
        except AssertionError as exc:
            browsing.errors.append(str(exc))
    browsing.close()
    if browsing.errors:
        pytest.fail(f"browser errors ({worker or 'main'}):\n" + "\n".join(browsing.errors), pytrace=False)


@pytest.fixture
def page(ui):
    """An anonymous desktop page (1280×900), watched for console and page errors."""
    return ui.new_page()


@pytest.fixture
def mobile_page(ui):
    """An anonymous phone-sized page (390×844, touch), watched for console and page errors."""
    return ui.new_page(viewport=MOBILE)
