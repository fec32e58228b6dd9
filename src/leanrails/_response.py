"""The raw response of a call, for what the model does not carry: status and headers."""

from __future__ import annotations

import httpx2
from pydantic import ValidationError

from ._errors import APIResponseValidationError, decode_body
from ._secrets import Secrets
from ._session import CheckoutSession


def parse_session(response: httpx2.Response, secrets: Secrets | None = None) -> CheckoutSession:
    """A 2xx body as a CheckoutSession, validated once, straight from the bytes.

    A body that is not one raises ``APIResponseValidationError``, built from the response
    with ``secrets`` masked (its cause too: the problems are found again in the masked body).
    """
    try:
        return CheckoutSession.model_validate_json(response.content)
    except ValidationError as exc:
        cause = exc
        if secrets is not None:
            secrets = secrets.with_headers(response.request.headers)
            response = secrets.response(response)
            try:
                CheckoutSession.model_validate_json(response.content)
            except ValidationError as masked:
                cause = masked
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"
            for error in cause.errors(include_url=False)
        )
        text = f"{response.status_code} response is not a CheckoutSession: {problems}"
        raise APIResponseValidationError(
            text if secrets is None else secrets.text(text),
            request=response.request,
            response=response,
            body=decode_body(response),
        ) from cause


class APIResponse:
    """What ``with_raw_response`` methods return (the Stainless style).

    The body has been read, and non-2xx statuses have already raised, so this is a
    successful response; ``parse()`` validates it into a CheckoutSession on first use.
    """

    __slots__ = ("_parsed", "_secrets", "http_response", "retries_taken")

    def __init__(
        self, http_response: httpx2.Response, *, retries_taken: int, secrets: Secrets | None = None
    ) -> None:
        self.http_response = http_response
        self.retries_taken = retries_taken  # attempts before this one that were retried
        self._secrets = secrets
        self._parsed: CheckoutSession | None = None

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The ``Request-Id`` header: quote it when asking for support."""
        return self.http_response.headers.get("request-id")

    @property
    def idempotent_replayed(self) -> bool:
        """True when the API replayed an earlier response for this idempotency key."""
        return self.http_response.headers.get("idempotent-replayed", "").lower() == "true"

    def parse(self) -> CheckoutSession:
        """The body as a CheckoutSession; raises APIResponseValidationError if it is not one."""
        if self._parsed is None:
            self._parsed = parse_session(self.http_response, self._secrets)
        return self._parsed

    def __repr__(self) -> str:
        return (
            f"<APIResponse [{self.status_code} {self.http_response.reason_phrase}] "
            f"request_id={self.request_id!r}>"
        )
