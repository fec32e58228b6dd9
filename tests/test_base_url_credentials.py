"""Credentials have one way in: the API key, as the key. A ``base_url`` carrying userinfo
would have httpx2 send it as the Authorization header in place of the key, so it is refused
when the client is built, before anything can be sent, and the refusal names no credential."""

from __future__ import annotations

import asyncio
import base64
import logging
import pickle
import traceback
from typing import Any
from urllib.parse import quote

import httpx2
import pytest

from leanrails import (
    APIStatusError,
    AsyncLeanRails,
    ConfigurationError,
    LeanRails,
    LeanRailsError,
    to_curl,
)
from leanrails._display import request_html

from _support.client import BODY
from _support.hostile import echo, fixed, hostile_server, response_bytes, send

KEY = "sk_test_credentialsKey0123456789"
PASSWORDS = ["GatewayPw77", "p@ss word", "pässwört€", "sk_live_REALSECRET99"]


def _forms(secret: str) -> list[str]:
    """The credential as written, percent-encoded (as httpx2 re-encodes it) and in Basic."""
    return [
        secret,
        quote(secret, safe=""),
        quote(secret, safe="!$&'()*+,;=:"),
        base64.b64encode(f"gw:{secret}".encode()).decode(),
        base64.b64encode(f"{secret}:".encode()).decode(),
    ]


def _userinfo_urls(host: str) -> list[str]:
    urls = [f"http://gw:{quote(p, safe='')}@{host}" for p in PASSWORDS]
    urls += [f"http://gw:{p}@{host}" for p in PASSWORDS if "/" not in p]
    urls += [f"http://sk_test_other:@{host}", f"http://sk_live_REALSECRET99:@{host}"]
    return urls


@pytest.mark.parametrize("cls", [LeanRails, AsyncLeanRails])
def test_a_base_url_with_credentials_is_refused_before_anything_is_sent(
    cls: type[LeanRails] | type[AsyncLeanRails], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="leanrails")
    with hostile_server(fixed(200, b"{}")) as server:
        host = server.url.removeprefix("http://")
        for url in _userinfo_urls(host):
            with pytest.raises(ConfigurationError) as refused:
                cls(api_key=KEY, base_url=url)
            error = refused.value
            assert isinstance(error, LeanRailsError)
            assert isinstance(error, ValueError)
            text = str(error) + repr(error) + "".join(traceback.format_exception(error))
            assert "default_headers" in text
            assert "http_client" in text
            assert host in text  # which URL, without its credentials
            for password in [*PASSWORDS, "sk_test_other"]:
                for form in _forms(password):
                    assert form not in text, (url, form)
    assert server.connections == 0
    assert all(KEY not in message for message in caplog.messages)


def test_the_environment_base_url_and_with_options_are_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEANRAILS_BASE_URL", "http://sk_live_REALSECRET99:@127.0.0.1:9")
    with pytest.raises(ConfigurationError) as refused:
        LeanRails(api_key=KEY)
    assert "REALSECRET99" not in str(refused.value)
    monkeypatch.delenv("LEANRAILS_BASE_URL")
    client = LeanRails(api_key=KEY, base_url="http://127.0.0.1:9")
    with client, pytest.raises(ConfigurationError):
        client.with_options(base_url="http://gw:GatewayPw77@127.0.0.1:9")


@pytest.mark.parametrize(
    "api_key", ["sk_test_x:sk_live_REALSECRET99", "sk_test_ key", "sk_test_\nkey", "sk_test_é"]
)
def test_an_api_key_is_only_ever_one_key(api_key: str) -> None:
    # A key with a colon would put a second credential in the Basic password.
    with pytest.raises(ConfigurationError) as refused:
        LeanRails(api_key=api_key, base_url="http://127.0.0.1:9")
    assert api_key not in str(refused.value)
    assert "REALSECRET99" not in str(refused.value)


def test_a_gateways_credentials_go_in_a_header_and_the_key_stays_the_key() -> None:
    # What the refusal advises: the key in Authorization, the gateway's in its own header.
    with hostile_server(fixed(404, b'{"error": {"message": "no"}}')) as server:
        gateway = "Basic " + base64.b64encode(b"gw:GatewayPw77").decode()
        with (
            LeanRails(
                api_key=KEY,
                base_url=server.url,
                max_retries=0,
                default_headers={"Proxy-Authorization": gateway},
            ) as client,
            pytest.raises(LeanRailsError) as failed,
        ):
            client.checkout_sessions.retrieve("cs_test_x")
    (received,) = server.received
    assert received.header("authorization") == "Basic " + base64.b64encode(
        f"{KEY}:".encode()
    ).decode("ascii")
    assert received.header("proxy-authorization") == gateway
    assert "GatewayPw77" not in str(failed.value)
    request = client.checkout_sessions.build(**BODY)
    assert gateway.split()[1] not in to_curl(request) + request_html(request)
    assert "--header 'Proxy-Authorization: Basic ****'" in to_curl(request)
    assert gateway in to_curl(request, reveal_key=True)


@pytest.mark.parametrize(
    "auth", [("gw", "GatewayPw77"), httpx2.DigestAuth("gw", "GatewayPw77")], ids=["basic", "digest"]
)
def test_an_http_client_whose_auth_would_replace_the_key_is_refused(auth: Any) -> None:
    with httpx2.Client(auth=auth) as http_client, pytest.raises(ConfigurationError) as refused:
        LeanRails(api_key=KEY, base_url="http://127.0.0.1:9", http_client=http_client)
    assert "Authorization" in str(refused.value)
    assert "GatewayPw77" not in str(refused.value)


def _retrieve_following_redirects(
    cls: type[LeanRails] | type[AsyncLeanRails], **options: Any
) -> None:
    """``retrieve`` through an http_client of the caller's, one that follows redirects."""
    if cls is LeanRails:
        with httpx2.Client(follow_redirects=True) as http_client:
            LeanRails(KEY, http_client=http_client, **options).checkout_sessions.retrieve("cs_x")
        return

    async def retrieve() -> None:
        async with httpx2.AsyncClient(follow_redirects=True) as http_client:
            client = AsyncLeanRails(KEY, http_client=http_client, **options)
            await client.checkout_sessions.retrieve("cs_x")

    asyncio.run(retrieve())


@pytest.mark.parametrize("cls", [LeanRails, AsyncLeanRails])
def test_a_redirect_is_never_followed_even_by_an_http_client_that_follows_them(
    cls: type[LeanRails] | type[AsyncLeanRails],
) -> None:
    """httpx2 drops only Authorization on a cross-origin redirect: the gateway's header would
    go to whatever host a server names, so the client answers a 3xx with its error instead."""
    gateway = {"X-Gateway-Token": "GatewayPw77", "Proxy-Authorization": "Basic R2F0ZXdheQ=="}
    with hostile_server(fixed(200, b"{}")) as elsewhere:
        target = elsewhere.url.replace("127.0.0.1", "localhost") + "/steal"
        redirect = response_bytes(307, b"", {"Location": target})
        with (
            hostile_server(lambda conn, _, server: send(conn, server, redirect)) as server,
            pytest.raises(APIStatusError) as answered,
        ):
            _retrieve_following_redirects(
                cls, base_url=server.url, max_retries=0, default_headers=gateway
            )
    assert answered.value.status_code == 307
    assert len(server.received) == 1
    assert elsewhere.received == []


@pytest.mark.parametrize("source", ["proxy", "environment"])
def test_a_proxys_credentials_never_reach_an_error_however_the_proxy_echoes_them(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """httpx2 sends a proxy URL's user and password (an http_client's ``proxy=``, or
    HTTP_PROXY) as Proxy-Authorization from its transport, outside the request's headers:
    the client masks them all the same."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with hostile_server(echo(500)) as proxy:
        proxy_url = proxy.url.replace("http://", "http://pu:ProxyPw999@")
        if source == "proxy":
            http_client = httpx2.Client(proxy=proxy_url, trust_env=False)
        else:  # an http_client that trusts the environment (the client's own does not)
            monkeypatch.setenv("HTTP_PROXY", proxy_url)
            http_client = httpx2.Client()
        with (
            http_client,
            LeanRails(
                KEY, base_url="http://127.0.0.1:9", http_client=http_client, max_retries=0
            ) as client,
            pytest.raises(LeanRailsError) as failed,
        ):
            client.checkout_sessions.retrieve("cs_test_x")
    (received,) = proxy.received
    token = base64.b64encode(b"pu:ProxyPw999").decode()
    assert received.header("proxy-authorization") == f"Basic {token}"
    error = failed.value
    assert isinstance(error, APIStatusError)
    assert error.response is not None
    shown = "".join(traceback.format_exception(error)) + repr(error) + repr(error.body)
    shown += error.response.text + repr(error.response.headers) + repr(pickle.dumps(error))
    for secret in ("ProxyPw999", token, token.rstrip("=")):
        assert secret not in shown


def test_a_gateway_token_without_a_scheme_is_masked_in_to_curl_and_the_display() -> None:
    """A bare token (``X-Gateway-Token: tok``, ``Proxy-Authorization: tok``) has no scheme to
    keep: the whole value is masked, as ``Basic ****``'s credentials are."""
    headers = {"X-Gateway-Token": "GatewayPw77", "Proxy-Authorization": "GatewayPw78"}
    with LeanRails(KEY, base_url="http://127.0.0.1:9", default_headers=headers) as client:
        request = client.checkout_sessions.build(**BODY)
    shown = to_curl(request) + request_html(request)
    assert "GatewayPw77" not in shown
    assert "GatewayPw78" not in shown
    assert "--header 'X-Gateway-Token: ****'" in to_curl(request)
    assert "X-Gateway-Token: GatewayPw77" in to_curl(request, reveal_key=True)
