"""Several ``leanrails sandbox --db`` processes changing the same sessions at once.

Each session is paid (through its hosted page, as a browser does: ``GET /pay/{id}`` for the
CSRF cookie and token, then the form's ``POST``), completed (the test helper) or expired
(the API) by every server together, and the answers are counted per session: a session
must be changed by exactly one of them. Answers of ``503`` (the database was busy: nothing
was applied) are sent again.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import httpx2
import pytest

from leanrails.sandbox import TEST_API_KEY

from _support.reliability.processes import servers
from _support.reliability.results import Tally
from _support.sandbox import BASIC

CARD_FORM = {
    "email": "jane@example.com",
    "name": "Jane Smith",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": "12 / 34",
    "card_cvc": "123",
}
PAGE_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")
WAVE = 4
"""Sessions attacked together: every server gets each one's request at the same moment."""
LOSER = {
    "pay": "200 page: payment complete",
    "complete": "400 checkout_session_not_open",
    "expire": "400 checkout_session_not_open",
}
"""How a request that lost the race is answered, by what it tried."""
RACES = pytest.mark.parametrize(
    "actions",
    [("pay",), ("complete",), ("expire",), ("complete", "expire")],
    ids=["pay", "complete", "expire", "complete-vs-expire"],
)
"""What the processes race at, in ``make test`` and ``make soak``: paying, completing,
expiring, and completing against expiring."""
_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')


@dataclass
class Outcome:
    """Per session, how many answers said it changed; and how every loser was answered."""

    wins: Counter[str] = field(default_factory=Counter)
    losers: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    sessions: int = 0
    actions: tuple[str, ...] = ()

    def twice(self) -> list[str]:
        """The sessions that more than one request changed."""
        return [session_id for session_id, won in self.wins.items() if won > 1]


def race(
    folder: Path, sessions: int, actions: tuple[str, ...], db: str | Path | None = None
) -> Outcome:
    """``sessions`` new sessions, each changed by 4 processes on one ``--db`` at once (a
    SQLite file in ``folder``, or ``db``): paid through the hosted page (``("pay",)``) or
    with the API ``actions`` spread over the processes. Every session is changed by
    someone."""
    with servers(db or folder / "shared.db", 4, folder) as urls:
        ids = asyncio.run(create_sessions(urls[0], sessions))
        if actions == ("pay",):
            outcome = asyncio.run(pay_everywhere(urls, ids))
        else:
            outcome = asyncio.run(post_everywhere(urls, ids, actions))
    assert sorted(outcome.wins) == sorted(ids), "every session is changed by someone"
    outcome.sessions, outcome.actions = sessions, actions
    return outcome


def check_once(outcome: Outcome) -> None:
    """The done-when of a race: no session changed twice, and the three other processes
    lost each, told so as the API (or the page) tells it."""
    assert outcome.twice() == []
    assert outcome.losers == {LOSER[outcome.actions[0]]: 3 * outcome.sessions}


def record_race(tally: Tally, where: str, outcome: Outcome, **more: int) -> None:
    tally.add(
        f"{where}, {'/'.join(outcome.actions)}",
        sessions=outcome.sessions,
        changed_twice=len(outcome.twice()),
        busy_retried=outcome.retried,
        **more,
    )


Attempt = Callable[[httpx2.AsyncClient, str], Awaitable[httpx2.Response]]


def clients(urls: Sequence[str], *, authenticated: bool) -> list[httpx2.AsyncClient]:
    """One client per server (a browser's cookie jar when not ``authenticated``)."""
    return [
        httpx2.AsyncClient(
            base_url=url,
            auth=(TEST_API_KEY, "") if authenticated else None,
            timeout=httpx2.Timeout(60, pool=None),
            limits=httpx2.Limits(max_connections=40),
        )
        for url in urls
    ]


async def create_sessions(url: str, count: int) -> list[str]:
    """``count`` new hosted sessions, created through the API of ``url``."""
    async with httpx2.AsyncClient(base_url=url, auth=(TEST_API_KEY, ""), timeout=60) as client:
        semaphore = asyncio.Semaphore(40)

        async def one(n: int) -> str:
            async with semaphore:
                while True:
                    answer = await client.post(
                        "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": f"c{n}"}
                    )
                    if answer.status_code != 503:
                        break
            assert answer.status_code == 200, answer.text
            session_id: str = answer.json()["id"]
            return session_id

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def pay_everywhere(urls: Sequence[str], session_ids: Sequence[str]) -> Outcome:
    """Every server's browser opens every session's page, then all of them pay at once."""
    browsers = clients(urls, authenticated=False)
    outcome = Outcome()
    try:
        tokens = await asyncio.gather(
            *(_open_page(b, session_id) for session_id in session_ids for b in browsers)
        )
        forms = iter(tokens)

        async def pay(browser: httpx2.AsyncClient, session_id: str) -> httpx2.Response:
            token = next(forms)
            return await browser.post(f"/pay/{session_id}", data={**CARD_FORM, "csrf_token": token})

        await _all_at_once(browsers, session_ids, pay, outcome, won=303, lost=_page_closed)
    finally:
        for browser in browsers:
            await browser.aclose()
    return outcome


async def post_everywhere(
    urls: Sequence[str], session_ids: Sequence[str], actions: Sequence[str]
) -> Outcome:
    """Every server sends one API POST per session at once: server ``n`` sends
    ``actions[n % len(actions)]`` (``"complete"`` or ``"expire"``)."""
    apis = clients(urls, authenticated=True)
    outcome = Outcome()
    paths = {
        "complete": "/v1/test_helpers/checkout_sessions/{}/complete",
        "expire": "/v1/checkout_sessions/{}/expire",
    }
    by_client = {id(api): paths[actions[n % len(actions)]] for n, api in enumerate(apis)}
    try:

        async def change(api: httpx2.AsyncClient, session_id: str) -> httpx2.Response:
            path = by_client[id(api)].format(session_id)
            key = f"{path}-{id(api)}"
            return await api.post(path, json={}, headers={"Idempotency-Key": key})

        await _all_at_once(apis, session_ids, change, outcome, won=200, lost=_api_not_open)
    finally:
        for api in apis:
            await api.aclose()
    return outcome


async def _open_page(browser: httpx2.AsyncClient, session_id: str) -> str:
    page = await browser.get(f"/pay/{session_id}")
    assert page.status_code == 200, page.text
    found = _TOKEN.search(page.text)
    assert found is not None, page.text
    return unescape(found.group(1))


async def _all_at_once(
    senders: Sequence[httpx2.AsyncClient],
    session_ids: Sequence[str],
    attempt: Attempt,
    outcome: Outcome,
    *,
    won: int,
    lost: Callable[[httpx2.Response], str],
) -> None:
    """``attempt`` each session from every sender together; tally who won and how the
    others were answered."""

    async def one(sender: httpx2.AsyncClient, session_id: str) -> None:
        while True:
            answer = await attempt(sender, session_id)
            if answer.status_code != 503:
                break
            outcome.retried += 1
            await asyncio.sleep(0.05)
        if answer.status_code == won:
            outcome.wins[session_id] += 1
        else:
            outcome.losers[lost(answer)] += 1

    # In waves of a few sessions, so each session's attempts reach every server together.
    for start in range(0, len(session_ids), WAVE):
        wave = session_ids[start : start + WAVE]
        await asyncio.gather(*(one(s, session_id) for session_id in wave for s in senders))


def _page_closed(answer: httpx2.Response) -> str:
    """How the hosted page answered a browser that lost: its own page with its headers."""
    page = answer.headers.get("content-type", "").startswith("text/html")
    secured = all(name in answer.headers for name in PAGE_HEADERS)
    if page and secured and "<h1>Payment complete</h1>" in answer.text:
        return f"{answer.status_code} page: payment complete"
    return f"{answer.status_code} {answer.headers.get('content-type')}: {answer.text[:200]}"


def _api_not_open(answer: httpx2.Response) -> str:
    try:
        code = answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = answer.text[:200]
    return f"{answer.status_code} {code}"
