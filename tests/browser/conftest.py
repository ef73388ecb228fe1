"""Browser tests: Playwright driving Debian's Chromium against a real `pathway serve`.

Fixtures for every browser test module:

- ``server``: a `pathway serve` (gunicorn, 2 workers) for this module, once on SQLite and once
  on PostgreSQL, with the demo loaded and one user per role who signs in with a password.
  ``server.url`` is its address, ``server.database_url`` its database,
  ``server.users[role]`` the ``PageUser`` (username, password) of that role,
  ``server.create_user(name, role, *options, password=...)`` makes another (the options are
  `pathway users create`'s: ``"--unit", code``, ``"--all-units"``, ``"--member", id``), and
  ``server.member_id`` / ``server.unit_code`` name the demo member the member user is and the
  unit the coordinator looks after.
- ``browser``: one headless Chromium for the session (skipped locally when no Chromium is
  found, a failure under CI=true).
- ``page``: a fresh browser context (no cookies) and page for each test; ``page_without_js``
  the same with JavaScript off.
- ``sign_in(page, role)``: sign in through /sign-in as that role's user and land on its home.
- ``submit(page, name)`` (a function to import): press the button or follow the link named
  ``name`` and wait for the page it leads to (a plain click can return before it loads).
- ``assert_accessible(page)``: run axe-core (WCAG 2.2 A and AA rules) on the page as it is now;
  fails on any serious or critical violation, listing them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import create_pg_database, require_postgres
from tests.e2e.conftest import ROOT, Server, free_port, pathway_command, server_environment

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")
SECRET_KEY = "browser-tests-" + "k" * 40  # the same for every worker and restart of a server


@dataclass(frozen=True)
class PageUser:
    username: str
    password: str
    role: str


def password_for(name: str) -> str:
    return f"{name} walks the long ward corridor"


@dataclass
class PageServer(Server):
    """`pathway serve` with the environment the pages need (a fixed secret key)."""

    users: dict[str, PageUser] = field(default_factory=dict)
    member_id: int = 0
    unit_code: str = ""
    instance: Path | None = None

    @property
    def url(self) -> str:
        return self.base

    def start(self) -> PageServer:
        self.port = free_port()
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pathway", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "2", "--threads", "4"],
            cwd=ROOT, env=self.environment(), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait_until_healthy()
        return self

    def environment(self) -> dict[str, str]:
        env = server_environment(self.database_url)
        env["PATHWAY_SECRET_KEY"] = SECRET_KEY
        if self.instance is not None:
            env["PATHWAY_INSTANCE"] = str(self.instance)
        return env

    def command(self, *args: str, stdin: str | None = None, check: bool = True,
                ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pathway", *args], cwd=ROOT,
                              env=self.environment(), input=stdin, capture_output=True,
                              text=True, timeout=120, check=check)

    def create_user(self, name: str, role: str, *options: str,
                    password: str | None = None) -> PageUser:
        """`pathway users create NAME --role R … --password-stdin`, as an operator would."""
        password = password or password_for(name)
        self.command("users", "create", name, "--role", role, *options, "--password-stdin",
                     stdin=password + "\n")
        return PageUser(name, password, role)

    def restart(self) -> PageServer:
        self.stop()
        return self.start()


def _demo_member(server: PageServer) -> tuple[int, str]:
    """The member `make run`'s demo member user is (on the pathway now), and their unit."""
    from pathway.ops.demo_sign_ins import demo_member
    from pathway.store.db import engine_for, unit_of_work

    try:
        with unit_of_work(server.database_url, write=False) as session:
            member = demo_member(session)
            assert member is not None
            return member.id, member.unit.code
    finally:
        engine_for(server.database_url).dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[PageServer]:
    """A `pathway serve` with the demo and a user per role, for this module."""
    folder = tmp_path_factory.mktemp("browser")
    drop: Callable[[], None] | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'pathway.db'}"
    else:
        require_postgres()
        url, drop = create_pg_database()
    try:
        pathway_command("db", "upgrade", database_url=url)
        running = PageServer(url, folder / "server.log", instance=folder / "instance")
        running.command("demo")
        running.member_id, running.unit_code = _demo_member(running)
        scopes = {"admin": [], "coordinator": ["--unit", running.unit_code],
                  "training_lead": ["--all-units"], "viewer": ["--all-units"],
                  "member": ["--member", str(running.member_id)]}
        for role in ROLES:
            running.users[role] = running.create_user(f"browser-{role.replace('_', '-')}", role,
                                                      *scopes[role])
        running.start()
        yield running
        running.stop()
    finally:
        if drop is not None:
            drop()


def chromium_path() -> str | None:
    named = os.environ.get("PATHWAY_CHROMIUM")
    if named:
        return named
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's): skipped locally without it, never under CI."""
    executable = chromium_path()
    if executable is None:
        message = ("No Chromium found (/usr/bin/chromium): `apt-get install -y chromium` to run "
                   "the browser tests.")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " CI must run them.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies) and page for one test."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def page_without_js(browser: Any) -> Iterator[Any]:
    """A fresh page that runs no JavaScript: every core flow must still work."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def submit(page: Any, name: str, *, role: str = "button") -> None:
    """Press the button (or follow the link: ``role="link"``) named ``name``; wait for the page."""
    with page.expect_navigation():
        page.get_by_role(role, name=name).click()


def sign_in_as(page: Any, server: PageServer, user: PageUser) -> None:
    """Fill in /sign-in as a person would and wait to leave it."""
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    submit(page, "Sign in")
    assert "/sign-in" not in page.url, f"sign-in as {user.username} failed: {page.url}"


@pytest.fixture
def sign_in(server: PageServer) -> Callable[[Any, str], None]:
    """``sign_in(page, role)``: sign in as the server's user of that role."""

    def sign_in_role(page: Any, role: str) -> None:
        sign_in_as(page, server, server.users[role])

    return sign_in_role


def check_accessible(page: Any) -> None:
    """axe-core's WCAG 2.2 A/AA rules on the page as shown: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                       "resultTypes": ["violations"]})
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        f"{', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in blocking)
    assert not blocking, f"accessibility violations on {page.url}:\n{details}"


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    """``assert_accessible(page)``: see ``check_accessible``."""
    return check_accessible
