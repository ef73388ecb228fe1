"""Page timings: the coordinator's pages against the JSON reads that serve the same numbers.

Both are fetched the same way (one urllib opener, a new connection per request), in the same
run on the same server and data, so the ratio is the cost of drawing the page: the views
call the same services the API does, and a ratio near 1x says they do nothing more.
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar

from sqlalchemy import select

from benchmarks.table import Figure, ms
from benchmarks.timing import timed
from pathway.people import sign_in
from pathway.people.users import create_user
from pathway.store.db import unit_of_work
from pathway.store.models import Member, Unit

TARGET = 2.0


@dataclass(frozen=True)
class Subjects:
    unit: str
    member_id: int


class Browser:
    """Signed in to the pages with a cookie, and holding an API token for the JSON reads."""

    def __init__(self, port: int, url: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        name = f"bench-coordinator-{time.time_ns()}"
        password = secrets.token_urlsafe(18)
        with unit_of_work(url) as session:
            user, self.token = create_user(session, name, "coordinator", all_units=True)
            sign_in.set_password(session, user, password)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        form = self.read("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        body = urllib.parse.urlencode({"username": name, "password": password,
                                       "csrf_token": token.group(1) if token else ""}).encode()
        self.opener.open(self.base + "/sign-in", body, timeout=600).read()

    def read(self, path: str, *, api: bool = False) -> str:
        # Always http://127.0.0.1: the server this run started.
        request = urllib.request.Request(self.base + path)  # noqa: S310
        if api:
            request.add_header("Authorization", f"Bearer {self.token}")
        with self.opener.open(request, timeout=600) as answer:
            if answer.status != 200 or (not api and "/sign-in" in answer.url
                                        and not path.startswith("/sign-in")):
                raise RuntimeError(f"GET {path} did not answer the page ({answer.url})")
            return answer.read().decode()


def subjects(url: str) -> Subjects:
    """The busiest unit and a member in it with the longest history."""
    with unit_of_work(url, write=False) as session:
        unit = session.execute(select(Unit.code).order_by(Unit.code).limit(1)).scalar_one()
        member_id = session.execute(select(Member.id).join(Unit, Unit.id == Member.unit_id)
                                    .where(Unit.code == unit).order_by(Member.id)
                                    .limit(1)).scalar_one()
    return Subjects(unit, member_id)


def _both(client: Browser, page: str, reads: list[str]) -> tuple[Callable[[], None],
                                                                 Callable[[], None]]:
    def json_reads() -> None:
        for path in reads:
            client.read(path, api=True)

    def draw() -> None:
        client.read(page)

    return draw, json_reads


def page_figures(url: str, port: int, members: int, runs: int = 10) -> list[Figure]:
    client = Browser(port, url)
    chosen = subjects(url)
    api = "/api/v1"
    member = f"{api}/members/{chosen.member_id}"
    pages = [
        ("Units overview", "/units",
         # the counts, and the longest waits (the summary's list, the same query)
         [f"{api}/reports/level-distribution", f"{api}/reports/summary"],
         "GET level-distribution + summary"),
        (f"Unit page ({chosen.unit}, 25 members)", f"/units/{chosen.unit}",
         [f"{api}/members?unit={chosen.unit}&page_size=25"],
         "GET members?unit=…"),
        ("Member page", f"/members/{chosen.member_id}",
         [member, f"{member}/pathway", f"{member}/milestones", f"{member}/training",
          f"{member}/readiness", f"{member}/events?page_size=50"],
         "the 6 GETs it shows"),
    ]
    figures: list[Figure] = []
    overview = timed(lambda: client.read("/units"), runs=runs, warmup=1)
    counts = timed(lambda: client.read(f"{api}/reports/level-distribution", api=True),
                   runs=runs, warmup=1)
    # For context: the counts alone (the longest waits are the rest of the overview's time).
    context = (Figure(
        f"  units overview against the counts alone, SQLite {members // 1000}k",
        ms(overview.median), f"{ms(counts.median)} (GET level-distribution)",
        f"{overview.median / counts.median:.1f}x", "-", None))
    for label, page, reads, described in pages:
        draw, read = _both(client, page, reads)
        drawn = timed(draw, runs=runs, warmup=2)
        served = timed(read, runs=runs, warmup=2)
        ratio = drawn.median / served.median
        figures.append(Figure(
            f"{label}, SQLite {members // 1000}k (page)", ms(drawn.median),
            f"{ms(served.median)} ({described})", f"{ratio:.1f}x", f"<= {TARGET:g}x",
            ratio <= TARGET))
    figures.insert(1, context)
    return figures
