"""A distinctive API key appears on no surface: reprs, errors, logs, curl, HTML, files."""

from __future__ import annotations

import base64
import logging
import os
import secrets
import subprocess
import sys

import pytest

from leanrails import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    LeanRails,
    to_curl,
)
from leanrails._display import request_html
from leanrails.sandbox import Sandbox
from leanrails.testing import set_testing

from _support.hostile import echo, hostile_server
from _support.reliability.leaks import (
    Surfaces,
    committed_keys,
    expect_error,
    secret_forms,
    sweep_client,
    sweep_hostile,
)
from _support.sandbox import BASIC, FakeClock, LiveServer, free_port

pytestmark = pytest.mark.slow


def test_the_api_key_appears_on_no_surface(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    live_key = "sk_live_" + secrets.token_hex(16)
    test_key = "sk_test_" + secrets.token_hex(16)
    surfaces = Surfaces()
    caplog.set_level(logging.DEBUG, logger="leanrails")

    # In-process, with a test key the sandbox accepts.
    with Sandbox(clock=FakeClock()) as sandbox:
        with set_testing(), LeanRails.sandbox(sandbox, api_key=test_key, max_retries=1) as c:
            sweep_client(c, sandbox, surfaces, "in-process")
            surfaces.add("sandbox", repr(sandbox))
        # The live key: refused by the sandbox, and still never shown.
        with LeanRails.sandbox(sandbox, api_key=live_key, max_retries=0) as c:
            surfaces.add("live", repr(c), to_curl(c.checkout_sessions.build(**BASIC)))
            surfaces.add("live html", request_html(c.checkout_sessions.build(**BASIC)))
            expect_error(
                surfaces,
                "live 401",
                AuthenticationError,
                lambda: c.checkout_sessions.create(**BASIC),
            )

    # Over HTTP: the same calls, plus timeouts, refused connections and a 2xx that is not a
    # session (GET /v1/test_helpers/faults, reached through a base URL ending in "?x=").
    with Sandbox(clock=FakeClock(), base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            with (
                set_testing(),
                LeanRails(api_key=test_key, base_url=live_server.url, max_retries=1) as c,
            ):
                sweep_client(c, sandbox, surfaces, "http")
                sandbox.delay_responses(0.3, count=1, api_key=test_key)
                expect_error(
                    surfaces,
                    "http timeout",
                    APITimeoutError,
                    lambda: c.checkout_sessions.create(**BASIC, timeout=0.05, max_retries=0),
                )
                sandbox.clear_faults()
            with LeanRails(
                api_key=test_key,
                base_url=live_server.url + "/v1/test_helpers/faults?x=",
                max_retries=0,
            ) as c:
                expect_error(
                    surfaces,
                    "http not a session",
                    APIResponseValidationError,
                    lambda: c.checkout_sessions.retrieve("cs_test_x"),
                )
        finally:
            sandbox.clear_faults()
            live_server.unmount()
    with (
        set_testing(),
        LeanRails(api_key=live_key, base_url=f"http://127.0.0.1:{free_port()}", max_retries=1) as c,
    ):
        expect_error(
            surfaces, "refused", APIConnectionError, lambda: c.checkout_sessions.create(**BASIC)
        )

    formatter = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    for record in caplog.records:
        surfaces.add(f"log {record.name}", formatter.format(record), repr(record.args))

    leaked = surfaces.leaks(secret_forms(live_key) + secret_forms(test_key))
    assert leaked == []
    assert len(surfaces.texts) > 150
    with LeanRails.sandbox(api_key=live_key) as c:  # the sweep would have seen a leak:
        revealed = to_curl(c.checkout_sessions.build(**BASIC), reveal_key=True)
    assert Surfaces([("curl reveal", revealed)]).leaks(secret_forms(live_key)) != []


def test_no_credential_survives_into_an_error_from_a_server_that_echoes_it(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LEANRAILS_LOG=debug's handler is the "leanrails" logger's: caplog reads the same records.
    monkeypatch.setenv("LEANRAILS_LOG", "debug")
    caplog.set_level(logging.DEBUG, logger="leanrails")
    key = "sk_live_" + secrets.token_hex(16)
    # A gateway's credentials, in the header the kit advises, with characters that change
    # when encoded: "@" (%40), a space (%20 or +), and non-ASCII (UTF-8, then percent-encoded).
    password = "p@ss w\u00f6rd-" + secrets.token_hex(4)
    gateway = "Basic " + base64.b64encode(f"gw:{password}".encode()).decode()
    surfaces = Surfaces()

    with set_testing():
        sweep_hostile(surfaces, key, default_headers={"Proxy-Authorization": gateway})

    for record in caplog.records:
        surfaces.add(f"log {record.name}", record.getMessage(), repr(record.args))
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    forms = secret_forms(key) + secret_forms(password, basic_user="gw") + [gateway]
    assert surfaces.leaks(forms) == []
    assert len(surfaces.texts) > 150
    # The sweep would see a leak: the echoing servers did receive both credentials.
    assert Surfaces([("sent", gateway)]).leaks(secret_forms(password, basic_user="gw"))


def test_an_uncaught_error_and_the_debug_log_print_no_credential() -> None:
    # As a user runs it: LEANRAILS_LOG=debug, the error uncaught, Python printing its traceback.
    key = "sk_live_" + secrets.token_hex(16)
    script = (
        "import leanrails\n"
        "client = leanrails.LeanRails(base_url=sys.argv[1], max_retries=1)\n"
        "client.checkout_sessions.retrieve('cs_test_x')\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}
    environment |= {"LEANRAILS_LOG": "debug", "LEANRAILS_API_KEY": key}
    with hostile_server(echo(503)) as server:
        result = subprocess.run(
            [sys.executable, "-c", "import sys\n" + script, server.url],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "APIServerError: 503" in result.stderr  # the traceback, printed
    assert "leanrails DEBUG" in result.stderr  # the debug log, printed
    assert len(server.received) == 2  # the key went out (and came back) on both attempts
    assert Surfaces([("stderr", result.stderr)]).leaks(secret_forms(key)) == []


def test_committed_notebooks_show_no_key_shaped_string_but_the_sandbox_test_key() -> None:
    from test_notebooks import allowed_secrets, committed_notebooks, key_shaped_strings

    found = {
        path.name: hits
        for path in committed_notebooks()
        if (hits := key_shaped_strings(path.read_text(encoding="utf-8"), allowed_secrets()))
    }

    assert found == {}
    # The built site gets the same sweep in test_docs.py (it builds the site once).


def test_committed_files_show_no_key_but_the_documented_test_keys() -> None:
    assert committed_keys() == {}
