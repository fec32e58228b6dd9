"""The credentials a client carries, and their masking in every form an error or log shows.

The API key is the one credential the client sends of its own; a gateway's goes in a header
(``default_headers``, ``extra_headers``, or an ``http_client``'s auth), a proxy's in its URL
(:func:`proxy_credentials`). Each is masked as written, percent-encoded, JSON-escaped, and
(for HTTP Basic) as its base64 token, with or without padding, in standard and URL-safe
alphabets, in text and in bytes. An error is built
from ``Secrets.request``/``Secrets.response`` copies, so its text, ``body``, ``request``,
``response`` and pickle hold no secret, whatever a server echoes back.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

import httpx2

MASK = "****"

_MIN_SECRET = 6
"""A shorter credential is masked only where it stands whole (a credential header): replacing
it everywhere would mangle the text and protect nothing."""

_MIN_RANDOM_PART = 12
"""A key's random part is masked on its own too when it is this long (a real key's is): not
``sandbox``, the documented test key's, which would mangle every sandbox URL."""

_CREDENTIAL_HEADER = re.compile(
    r"authorization|auth|token|secret|passw|cookie|api-?key|signature", re.IGNORECASE
)
_NOT_CREDENTIALS = frozenset({"idempotency-key"})

# Re-encoded by httpx2, so the body is decoded text and its framing is recomputed.
_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def mask_key(key: str) -> str:
    """``sk_test_****``: says which kind of key without revealing any of it."""
    prefix = re.match(r"[a-z]{2,4}_(?:test|live)_", key)
    if prefix and len(key) >= len(prefix.group()) + 8:
        return prefix.group() + MASK
    return MASK


def is_credential_header(name: str) -> bool:
    """Authorization, Proxy-Authorization, Cookie, X-Api-Key, X-Gateway-Token and the like."""
    return name.lower() not in _NOT_CREDENTIALS and _CREDENTIAL_HEADER.search(name) is not None


def masked_value(value: str, mask: str = MASK) -> str:
    """A credential header's value masked: ``Basic ****`` keeps its scheme; a bare token
    (``X-Gateway-Token: tok``) has none, and is masked whole."""
    scheme, _, rest = value.strip().partition(" ")
    return f"{scheme} {mask}" if rest.strip() else mask


def basic_token(user: str, password: str = "") -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def header_credentials(value: str) -> list[str]:
    """A credential header's value, its part after a scheme, and a Basic token's two halves."""
    found = [value.strip()]
    scheme, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    if rest:
        found.append(rest)
    if scheme.lower() == "basic" and rest:
        try:
            decoded = base64.b64decode(rest + "=" * (-len(rest) % 4), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return found
        found += decoded.split(":", 1)
    return found


def _forms(secret: str) -> set[str]:
    """How ``secret`` can be written: as is, percent-encoded, JSON-escaped, Basic-encoded."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {form.replace("/", "\\/") for form in list(forms)}
    for token in (basic_token(secret), base64.b64encode(secret.encode()).decode("ascii")):
        for alphabet in (token, token.replace("+", "-").replace("/", "_")):
            forms |= {alphabet, alphabet.rstrip("=")}
    return forms


def proxy_credentials(http_client: httpx2.Client | httpx2.AsyncClient) -> list[str]:
    """The credentials of every proxy ``http_client`` routes through (its ``proxy=``, or the
    environment's ``HTTP(S)_PROXY`` when it trusts the environment).

    httpx2 sends a proxy URL's user and password as ``Proxy-Authorization`` from the
    transport, outside the request's headers, so only the transport knows them. Read from
    httpx2's and httpcore2's private attributes (``_mounts``, ``_pool._proxy_headers``);
    tests/test_base_url_credentials.py fails if a release renames them.
    """
    found: list[str] = []
    for transport in getattr(http_client, "_mounts", {}).values():
        pool = getattr(transport, "_pool", None)
        for name, value in getattr(pool, "_proxy_headers", None) or []:
            if name.lower() == b"proxy-authorization":
                found += header_credentials(value.decode("latin-1"))
    return found


class Secrets:
    """Masks the API key (as ``sk_test_****``) and the other credentials (as ``****``)."""

    def __init__(self, api_key: str, others: Iterable[str] = ()) -> None:
        self.api_key = api_key
        self._others = [s for s in others if len(s) >= _MIN_SECRET]
        pairs = dict.fromkeys(_forms(api_key), mask_key(api_key))
        random_part = api_key.split("_", 2)[-1]
        if len(random_part) >= _MIN_RANDOM_PART:
            self._others.append(random_part)
        for secret in self._others:
            for form in _forms(secret):
                pairs.setdefault(form, MASK)
        # Longest first, so a secret is masked whole before any part of it could match.
        self._pairs = sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)
        self._byte_pairs = [(s.encode(), m.encode()) for s, m in self._pairs]

    def with_headers(self, headers: Mapping[str, str] | httpx2.Headers) -> Secrets:
        """These secrets, and the values of the credential headers in ``headers``."""
        others = [
            credential
            for name, value in headers.items()
            if is_credential_header(name)
            for credential in header_credentials(value)
        ]
        if not others:
            return self
        return Secrets(self.api_key, self._others + others)

    def text(self, text: str) -> str:
        for secret, mask in self._pairs:
            if secret in text:
                text = text.replace(secret, mask)
        return text

    def content(self, content: bytes) -> bytes:
        for secret, mask in self._byte_pairs:
            if secret in content:
                content = content.replace(secret, mask)
        return content

    def request(self, request: httpx2.Request) -> httpx2.Request:
        """A copy of ``request`` without a secret: credential headers masked whole."""
        secrets = self.with_headers(request.headers)
        headers = [
            (name, masked_value(value) if is_credential_header(name) else value)
            for name, value in request.headers.multi_items()
        ]
        try:
            content = request.content
        except httpx2.RequestNotRead:
            content = b""
        return httpx2.Request(
            request.method,
            secrets.text(str(request.url)),
            headers=[(name, secrets.text(value)) for name, value in headers],
            content=secrets.content(content),
        )

    def response(self, response: httpx2.Response) -> httpx2.Response:
        """A copy of a read ``response`` without a secret, in its headers, body or request."""
        secrets = self.with_headers(response.request.headers)
        headers = [
            (name, MASK if is_credential_header(name) else secrets.text(value))
            for name, value in response.headers.multi_items()
            if name.lower() not in _FRAMING
        ]
        return httpx2.Response(
            response.status_code,
            headers=headers,
            content=secrets.content(response.content),
            request=secrets.request(response.request),
            extensions={"reason_phrase": secrets.text(response.reason_phrase).encode("latin-1")},
        )
