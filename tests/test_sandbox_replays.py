"""Replays, attacked from outside: a create's replay is its first answer, byte for byte.

The in-memory store keeps a create's session once, as compact JSON, and writes its replay
body from it again; these inputs try to make the two differ (unusual unicode, numbers as sent,
the session changing after, two API keys on one Idempotency-Key, retention).

Every test drives ``Sandbox().handle`` in-process on the default (memory) store, and asserts
that a replay (same API key, Idempotency-Key and body) answers the first answer's status and
body byte for byte, never a 5xx, and never another key's session.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

import leanrails.sandbox._sessions as sessions_module
from leanrails.sandbox import TEST_API_KEY, Sandbox, SandboxRequest, SandboxResponse

from _support.sandbox import BASIC, FakeClock

PATH = "/v1/checkout_sessions"
OTHER_KEY = "sk_test_attacker_other_account"


def _auth(api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()


def post(
    sandbox: Sandbox,
    raw: bytes,
    key: str | None,
    *,
    api_key: str = TEST_API_KEY,
    path: str = PATH,
) -> SandboxResponse:
    headers: list[tuple[str, str]] = [
        ("Authorization", _auth(api_key)),
        ("Content-Type", "application/json"),
    ]
    if key is not None:
        headers.append(("Idempotency-Key", key))
    return sandbox.handle(SandboxRequest("POST", path, tuple(headers), raw))


def get(sandbox: Sandbox, path: str, *, api_key: str = TEST_API_KEY) -> SandboxResponse:
    return sandbox.handle(SandboxRequest("GET", path, (("Authorization", _auth(api_key)),), b""))


def raw_body(extra_json: str = "") -> bytes:
    """BASIC's JSON with ``extra_json`` (members written as raw JSON text) appended, so
    escapes such as lone surrogates reach the sandbox exactly as written."""
    base = json.dumps(BASIC)
    if not extra_json:
        return base.encode()
    return (base[:-1] + ", " + extra_json + "}").encode("utf-8")


def assert_replayed(first: SandboxResponse, second: SandboxResponse) -> None:
    assert first.status < 500, first.body[:300]
    assert second.status == first.status
    assert second.body == first.body
    if first.status == 200:
        assert second.header("Idempotent-Replayed") == "true"
        assert second.header("Content-Length") == first.header("Content-Length")
        json.loads(first.body)  # the replayed body is real JSON too


# -- unicode in the fields a create keeps --------------------------------------------------

UNICODE_CASES = {
    "non-bmp": '"metadata": {"\\ud83d\\ude00": "\\ud83d\\ude00\\ud800\\udc00"}, '
    '"client_reference_id": "\\ud83d\\udca9-ref"',
    "line-separators": '"metadata": {"a\\u2028b": "c\\u2029d\\u0085e"}, '
    '"client_reference_id": "x\\u2028y"',
    "escapes": '"metadata": {"q\\"k": "back\\\\slash \\/ \\b\\f\\n\\r\\t"}',
    "nul-and-controls": '"metadata": {"k": "\\u0000\\u001f\\u007f"}',
    "bom-and-zero-width": '"metadata": {"\\ufeff": "\\u200b\\u200d\\ufffe\\uffff"}',
    "combining": '"metadata": {"e\\u0301": "\\u00e9"}, "customer_email": "j@example.com"',
    "long-values": '"metadata": {"k": "' + "\\ud83d\\ude00" * 500 + '"}, '
    '"client_reference_id": "' + "r" * 200 + '"',
    "many-keys": '"metadata": {' + ", ".join(f'"k{i}\\u00e9": "v{i}"' for i in range(50)) + "}",
    "email-unicode": '"customer_email": "j\\u00f6rg@\\u00fc.example"',
    "lone-surrogate-in-metadata": '"metadata": {"k": "\\ud800"}',
}


@pytest.mark.parametrize("extra", UNICODE_CASES.values(), ids=UNICODE_CASES.keys())
def test_replay_is_byte_identical_for_unusual_unicode(extra: str) -> None:
    sandbox = Sandbox()
    raw = raw_body(extra)
    first = post(sandbox, raw, "uni")
    second = post(sandbox, raw, "uni")
    assert_replayed(first, second)


# -- a newer server's unknown parameters (copied into the session, numbers as sent) --------

UNKNOWN_CASES = {
    "floats": '"zz": [0.1, 1e16, 5e-324, 1E5, 1.7976931348623157e308, -0.0]',
    "ints": '"zz": [0, -0, 9007199254740993, 18446744073709551616, ' + "7" * 400 + "]",
    "nested": '"zz": {"a": [{"b": null, "c": true}], "\\u2028": "\\ud83d\\ude00"}',
    "shadowing": '"id": "cs_evil", "status": "complete", "account": "acct_x", "zz_first": 1',
}


@pytest.mark.parametrize("extra", UNKNOWN_CASES.values(), ids=UNKNOWN_CASES.keys())
def test_replay_is_byte_identical_with_unknown_params(extra: str) -> None:
    sandbox = Sandbox(accept_unknown_params=True)
    raw = raw_body(extra)
    first = post(sandbox, raw, "unk")
    second = post(sandbox, raw, "unk")
    assert first.status == 200, first.body[:300]
    assert_replayed(first, second)


def test_shadowing_unknown_params_do_not_win() -> None:
    sandbox = Sandbox(accept_unknown_params=True)
    raw = raw_body('"id": "cs_evil", "status": "complete"')
    first = post(sandbox, raw, "shadow")
    session = json.loads(first.body)
    assert session["id"] != "cs_evil"
    assert session["status"] == "open"
    assert post(sandbox, raw, "shadow").body == first.body


# Found by an outside attack: with accept_unknown_params, these answered 500 on the create
# and on every retry (the session kept a value no JSON answer can carry).
REFUSED_UNKNOWN = {
    "lone-surrogate-value": ('"zz": "\\ud800"', "a string holds a lone surrogate"),
    "lone-surrogate-key": ('"\\udfff": "x"', "a string holds a lone surrogate"),
    "huge-int": ('"zz": ' + "1" * 5000, "an integer too long"),
    "float-overflow": ('"zz": 1e400', "a number beyond a double"),  # it answered Infinity
}


@pytest.mark.parametrize(("extra", "reason"), REFUSED_UNKNOWN.values(), ids=REFUSED_UNKNOWN.keys())
def test_an_unknown_param_no_json_answer_can_carry_is_a_400_and_so_is_its_retry(
    extra: str, reason: str
) -> None:
    sandbox = Sandbox(accept_unknown_params=True)
    raw = raw_body(extra)
    first = post(sandbox, raw, "unkept")
    error = json.loads(first.body)["error"]

    assert first.status == 400
    assert error["code"] == "json_invalid"
    assert error["message"].endswith(reason + ".")
    assert_replayed(first, post(sandbox, raw, "unkept"))


def test_huge_int_without_unknown_params_is_a_400() -> None:
    sandbox = Sandbox()
    raw = raw_body('"zz": ' + "1" * 5000)
    first = post(sandbox, raw, "huge")
    assert first.status == 400
    assert post(sandbox, raw, "huge").status == 400


# -- the session changes after the create --------------------------------------------------


@pytest.mark.parametrize("change", ["complete", "expire"])
def test_replay_answers_the_open_session_after_it_changes(change: str) -> None:
    sandbox = Sandbox()
    raw = raw_body('"metadata": {"m": "\\ud83d\\ude00"}')
    first = post(sandbox, raw, "change")
    session_id = json.loads(first.body)["id"]
    path = (
        f"/v1/test_helpers/checkout_sessions/{session_id}/complete"
        if change == "complete"
        else f"{PATH}/{session_id}/{change}"
    )
    changed = post(sandbox, b"{}", f"{change}-1", path=path)
    assert changed.status == 200, changed.body[:300]
    now = json.loads(get(sandbox, f"{PATH}/{session_id}").body)
    assert now["status"] == ("complete" if change == "complete" else "expired")
    replay = post(sandbox, raw, "change")
    assert_replayed(first, replay)
    assert json.loads(replay.body)["status"] == "open"
    # The change's own replay answers the changed session, byte for byte.
    assert_replayed(changed, post(sandbox, b"{}", f"{change}-1", path=path))


def test_replay_after_the_clock_passes_expires_at_is_unchanged() -> None:
    clock = FakeClock()
    sandbox = Sandbox(clock=clock)
    raw = raw_body()
    first = post(sandbox, raw, "late")
    clock.advance(23 * 60 * 60)  # inside the 24 hours a key is kept
    assert_replayed(first, post(sandbox, raw, "late"))


# -- two API keys, one Idempotency-Key -----------------------------------------------------


def test_two_api_keys_with_one_idempotency_key_keep_their_own_sessions() -> None:
    sandbox = Sandbox()
    mine = raw_body('"client_reference_id": "mine"')
    theirs = raw_body('"client_reference_id": "theirs"')
    first_mine = post(sandbox, mine, "shared")
    first_theirs = post(sandbox, theirs, "shared", api_key=OTHER_KEY)
    assert first_mine.status == first_theirs.status == 200
    assert json.loads(first_mine.body)["id"] != json.loads(first_theirs.body)["id"]
    assert_replayed(first_mine, post(sandbox, mine, "shared"))
    assert_replayed(first_theirs, post(sandbox, theirs, "shared", api_key=OTHER_KEY))
    # The same body under the other key is that key's own first create, not a replay.
    crossed = post(sandbox, mine, "shared", api_key=OTHER_KEY)
    assert crossed.status == 400  # reused key, another body, for OTHER_KEY
    assert json.loads(first_mine.body)["id"].encode() not in crossed.body


def test_the_same_body_under_two_api_keys_makes_two_sessions() -> None:
    sandbox = Sandbox()
    raw = raw_body()
    a = post(sandbox, raw, "same")
    b = post(sandbox, raw, "same", api_key=OTHER_KEY)
    assert a.status == b.status == 200
    assert b.header("Idempotent-Replayed") is None
    assert json.loads(a.body)["id"] != json.loads(b.body)["id"]
    assert_replayed(a, post(sandbox, raw, "same"))
    assert_replayed(b, post(sandbox, raw, "same", api_key=OTHER_KEY))


# -- retention and the account's trim ------------------------------------------------------


def test_replay_survives_the_session_being_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions_module, "MAX_SESSIONS_PER_ACCOUNT", 2)
    sandbox = Sandbox()
    raw = raw_body('"metadata": {"n": "0"}')
    first = post(sandbox, raw, "trim-0")
    session_id = json.loads(first.body)["id"]
    for index in range(1, 4):
        assert (
            post(sandbox, raw_body(f'"metadata": {{"n": "{index}"}}'), f"trim-{index}").status
            == 200
        )
    assert get(sandbox, f"{PATH}/{session_id}").status == 404  # trimmed
    assert_replayed(first, post(sandbox, raw, "trim-0"))


def test_after_24_hours_the_key_makes_a_new_session() -> None:
    clock = FakeClock()
    sandbox = Sandbox(clock=clock)
    raw = raw_body()
    first = post(sandbox, raw, "old")
    clock.advance(24 * 60 * 60 + 1)
    again = post(sandbox, raw, "old")
    assert again.status == 200
    assert again.header("Idempotent-Replayed") is None
    assert json.loads(again.body)["id"] != json.loads(first.body)["id"]
    assert_replayed(again, post(sandbox, raw, "old"))


# -- a refused create, then the same key ---------------------------------------------------


def test_a_refused_create_then_a_good_one_with_the_same_key() -> None:
    sandbox = Sandbox()
    bad = raw_body('"metadata": {"k": 5}')  # a number where a string belongs
    refused = post(sandbox, bad, "after-400")
    assert refused.status == 400
    again = post(sandbox, bad, "after-400")
    assert again.status == 400
    good = raw_body()
    first = post(sandbox, good, "after-400")
    assert first.status == 200, first.body[:300]
    assert_replayed(first, post(sandbox, good, "after-400"))


def test_an_empty_metadata_and_null_fields_replay_identically() -> None:
    sandbox = Sandbox()
    raw = raw_body('"metadata": {}, "client_reference_id": null, "customer_email": null')
    first = post(sandbox, raw, "nulls")
    assert_replayed(first, post(sandbox, raw, "nulls"))


def test_many_replays_answer_the_same_bytes() -> None:
    sandbox = Sandbox()
    raw = raw_body('"metadata": {"\\u2028": "\\ud83d\\ude00"}')
    first = post(sandbox, raw, "many")
    for _ in range(5):
        assert_replayed(first, post(sandbox, raw, "many"))


def test_random_unicode_metadata_replays_identically() -> None:
    rng = random.Random(20261207)
    sandbox = Sandbox()
    ranges = [(0x0, 0x7F), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]

    def text(size: int) -> str:
        return "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(size))

    for index in range(100):
        metadata = {text(rng.randint(1, 20)): text(rng.randint(0, 200)) for _ in range(3)}
        raw = json.dumps(
            {**BASIC, "metadata": metadata, "client_reference_id": text(rng.randint(1, 50))},
            ensure_ascii=rng.random() < 0.5,
        ).encode()
        first = post(sandbox, raw, f"fuzz-{index}")
        assert first.status < 500, first.body[:300]
        assert_replayed(first, post(sandbox, raw, f"fuzz-{index}"))
