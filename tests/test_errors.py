"""The error hierarchy, and make_status_error on every kind of body a server or proxy sends."""

from __future__ import annotations

import multiprocessing
import pickle
import traceback
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx2
import pytest

import leanrails
from leanrails import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIServerError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    IdempotencyError,
    InvalidRequestError,
    LeanRailsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from leanrails._errors import decode_body, make_status_error

from _support.worker import create_or_retrieve

URL = "https://api.leanrails.com/v1/checkout_sessions"


def response(status: int, **kwargs: Any) -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request("POST", URL), **kwargs)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        pytest.param(APIError, LeanRailsError, id="api"),
        pytest.param(APIConnectionError, APIError, id="connection"),
        pytest.param(APITimeoutError, APIConnectionError, id="timeout"),
        pytest.param(APIStatusError, APIError, id="status"),
        pytest.param(InvalidRequestError, APIStatusError, id="400"),
        pytest.param(AuthenticationError, APIStatusError, id="401"),
        pytest.param(PermissionDeniedError, APIStatusError, id="403"),
        pytest.param(NotFoundError, APIStatusError, id="404"),
        pytest.param(IdempotencyError, APIStatusError, id="409"),
        pytest.param(RateLimitError, APIStatusError, id="429"),
        pytest.param(APIServerError, APIStatusError, id="5xx"),
        pytest.param(APIResponseValidationError, APIError, id="response-validation"),
    ],
)
def test_hierarchy_is_the_one_drawn_in_the_module_docstring(
    cls: type[LeanRailsError], parent: type[LeanRailsError]
) -> None:
    assert cls.__bases__ == (parent,)
    assert cls.__name__ in (leanrails._errors.__doc__ or "")
    assert getattr(leanrails, cls.__name__) is cls


def test_error_classes_are_named_by_their_public_home_in_tracebacks() -> None:
    error = make_status_error(response(404, json={"error": {"message": "no such session"}}))
    line = traceback.format_exception_only(error)[-1]
    assert line == "leanrails.NotFoundError: 404 Not Found: no such session\n"
    assert repr(type(error)) == "<class 'leanrails.NotFoundError'>"


@pytest.mark.parametrize(
    ("status", "error_type", "cls"),
    [
        pytest.param(400, "invalid_request_error", InvalidRequestError, id="400"),
        pytest.param(401, "authentication_error", AuthenticationError, id="401"),
        pytest.param(403, "permission_error", PermissionDeniedError, id="403"),
        pytest.param(404, "invalid_request_error", NotFoundError, id="404"),
        pytest.param(409, "api_error", IdempotencyError, id="409-any-type"),
        pytest.param(400, "idempotency_error", IdempotencyError, id="400-idempotency"),
        pytest.param(500, "idempotency_error", IdempotencyError, id="type-beats-5xx"),
        pytest.param(429, "rate_limit_error", RateLimitError, id="429"),
        pytest.param(500, "api_error", APIServerError, id="500"),
        pytest.param(599, None, APIServerError, id="599"),
        pytest.param(422, "invalid_request_error", APIStatusError, id="422"),
        pytest.param(302, None, APIStatusError, id="redirect"),
    ],
)
def test_one_function_picks_the_class_from_status_and_error_type(
    status: int, error_type: str | None, cls: type[APIStatusError]
) -> None:
    body = {"error": {"type": error_type, "message": "m"}} if error_type else {}
    assert type(make_status_error(response(status, json=body))) is cls


def test_status_error_carries_every_field_of_the_error_body() -> None:
    body = {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_invalid",
            "message": "must be a 3-letter code",
            "param": "line_items[0].price_data.currency",
        }
    }
    error = make_status_error(response(400, json=body, headers={"Request-Id": "req_9"}))
    assert (error.status_code, error.request_id, error.type, error.code, error.param) == (
        400,
        "req_9",
        "invalid_request_error",
        "parameter_invalid",
        "line_items[0].price_data.currency",
    )
    assert error.message == "must be a 3-letter code"
    assert error.body == body
    assert error.response.status_code == 400
    assert error.request is error.response.request
    assert str(error) == (
        "400 Bad Request: must be a 3-letter code (type=invalid_request_error, "
        "code=parameter_invalid, param=line_items[0].price_data.currency, request_id=req_9)"
    )


@pytest.mark.parametrize(
    ("kwargs", "message", "body"),
    [
        pytest.param(
            {"text": "<html>\n  <h1>Bad   Gateway</h1>\n</html>"},
            "non-JSON body: <html> <h1>Bad Gateway</h1> </html>",
            "<html>\n  <h1>Bad   Gateway</h1>\n</html>",
            id="html-whitespace-collapsed",
        ),
        pytest.param({}, "empty body", "", id="empty"),
        pytest.param({"json": [1, 2]}, "no error message in the body", [1, 2], id="json-list"),
        pytest.param(
            {"json": {"error": "boom"}},
            "no error message in the body",
            {"error": "boom"},
            id="error-not-object",
        ),
        pytest.param(
            {"json": {"error": {"message": ""}}},
            "no error message in the body",
            {"error": {"message": ""}},
            id="empty-message",
        ),
        pytest.param(
            {"content": b"\xff\xfe not utf-8"},
            "non-JSON body: \ufffd\ufffd not utf-8",
            "\ufffd\ufffd not utf-8",
            id="bad-bytes",
        ),
    ],
)
def test_bodies_without_the_error_shape_still_give_a_useful_error(
    kwargs: dict[str, Any], message: str, body: object
) -> None:
    error = make_status_error(response(502, **kwargs))
    assert type(error) is APIServerError
    assert error.message == message
    assert error.body == body
    assert str(error) == f"502 Bad Gateway: {message}"
    assert (error.type, error.code, error.param, error.request_id) == (None, None, None, None)


def test_a_long_non_json_body_is_cut_to_a_snippet() -> None:
    error = make_status_error(response(500, text="x" * 5000))
    assert error.message == "non-JSON body: " + "x" * 200 + "…"
    assert error.body == "x" * 5000  # the whole body stays reachable


def test_non_string_fields_are_ignored_not_crashed_on() -> None:
    body = {"error": {"type": 7, "code": None, "param": ["x"], "message": {"nested": 1}}}
    error = make_status_error(response(400, json=body))
    assert (error.type, error.code, error.param) == (None, None, None)
    assert error.message == "no error message in the body"


def test_redact_scrubs_the_message_and_the_text() -> None:
    body = {"error": {"message": "key sk_test_secret123 is revoked"}}
    error = make_status_error(
        response(401, json=body), redact=lambda text: text.replace("sk_test_secret123", "***")
    )
    assert error.message == "key *** is revoked"
    assert "sk_test_secret123" not in str(error)


@pytest.mark.parametrize(
    ("kwargs", "decoded"),
    [
        pytest.param({"json": {"a": 1}}, {"a": 1}, id="json"),
        pytest.param({"text": "plain"}, "plain", id="text"),
        pytest.param({}, "", id="empty"),
    ],
)
def test_decode_body_gives_json_or_text_and_never_raises(
    kwargs: dict[str, Any], decoded: object
) -> None:
    assert decode_body(response(200, **kwargs)) == decoded


def test_connection_errors_carry_the_request_and_no_response() -> None:
    request = httpx2.Request("POST", URL)
    error = APITimeoutError("POST ... timed out", request=request)
    assert error.request is request
    assert (error.response, error.status_code, error.request_id, error.body) == (
        None,
        None,
        None,
        None,
    )
    assert error.message == "POST ... timed out"


def not_a_session(ok: httpx2.Response) -> APIResponseValidationError:
    return APIResponseValidationError("not a session", request=ok.request, response=ok, body=[1])


FIELDS = ("status_code", "request_id", "body", "message", "type", "code", "param")


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(
            make_status_error(
                response(
                    400,
                    json={"error": {"type": "invalid_request_error", "param": "mode"}},
                    headers={"Request-Id": "req_p"},
                )
            ),
            id="status",
        ),
        pytest.param(
            APIConnectionError("no response", request=httpx2.Request("GET", URL)), id="conn"
        ),
        pytest.param(not_a_session(response(200, json=[1])), id="response-validation"),
    ],
)
def test_errors_pickle_with_their_fields(error: APIError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert [getattr(copy, f) for f in FIELDS] == [getattr(error, f) for f in FIELDS]
    assert copy.request.url == error.request.url


@pytest.mark.slow
def test_a_process_pool_keeps_its_other_results_when_one_task_raises_an_api_error() -> None:
    # spawn, not fork: forking a process that runs threads is deprecated (and warns).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [pool.submit(create_or_retrieve, task) for task in (None, "cs_test_gone", None)]
        first, missing, last = futures
        assert first.result(timeout=60).startswith("cs_test_")
        with pytest.raises(NotFoundError) as caught:
            missing.result(timeout=60)
        assert last.result(timeout=60).startswith("cs_test_")
    error = caught.value
    assert (error.status_code, error.code, error.param) == (404, "resource_missing", "id")
    assert str(error.request_id).startswith("req_")
