"""Third-party tools can use the contract: its examples are valid and real, its JSON Schema
refuses what the API refuses, and a client generated from it installs and creates a session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from leanrails import CheckoutSession, CheckoutSessionCreateParams
from leanrails._conventions import faults
from leanrails.sandbox import TEST_API_KEY, Sandbox

from _support.sandbox import Api, LiveServer

CONTRACT: dict[str, Any] = yaml.safe_load(
    files("leanrails").joinpath("openapi.yaml").read_text(encoding="utf-8")
)
CREATE = CONTRACT["paths"]["/v1/checkout_sessions"]["post"]
REQUEST_EXAMPLES = CREATE["requestBody"]["content"]["application/json"]["examples"]
RESPONSE_EXAMPLES = CREATE["responses"]["200"]["content"]["application/json"]["examples"]
VALID: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
    "success_url": "https://example.com/success",
}


def validator(name: str) -> jsonschema.protocols.Validator:
    """A JSON Schema 2020-12 validator for one schema of the contract, refs resolved."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": CONTRACT["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("name", sorted(REQUEST_EXAMPLES))
def test_each_request_example_fits_the_schema_and_the_sandbox_creates_it(
    name: str, api: Api
) -> None:
    body = REQUEST_EXAMPLES[name]["value"]
    validator("CheckoutSessionCreateParams").validate(body)
    CheckoutSessionCreateParams.model_validate(body)
    response = api.create(body)
    assert response.status_code == 200, response.text
    validator("CheckoutSession").validate(response.json())


@pytest.mark.parametrize("name", sorted(RESPONSE_EXAMPLES))
def test_each_response_example_fits_the_schema_and_has_what_the_sandbox_answers(
    name: str, api: Api
) -> None:
    example = RESPONSE_EXAMPLES[name]["value"]
    validator("CheckoutSession").validate(example)
    CheckoutSession.model_validate(example)
    answered = api.create(REQUEST_EXAMPLES["price"]["value"]).json()
    assert sorted(answered) == sorted(example)
    assert {k: answered[k] for k in ("amount_total", "currency", "status")} == {
        k: example[k] for k in ("amount_total", "currency", "status")
    }


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param(
            {"line_items": [{"quantity": 1}]}, "line_item_price_or_price_data", id="neither-price"
        ),
        pytest.param(
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price": "price_test_tshirt",
                        "price_data": {"currency": "usd", "product": "p", "unit_amount": 1},
                    }
                ]
            },
            "line_item_not_both_price_and_price_data",
            id="both-prices",
        ),
        pytest.param({"success_url": None}, "success_url_required_for_hosted", id="hosted-default"),
        pytest.param(
            {"success_url": None, "ui_mode": "hosted"},
            "success_url_required_for_hosted",
            id="hosted-explicit",
        ),
        pytest.param(
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "product": "p",
                            "unit_amount": 1,
                            "recurring": {"interval": "month"},
                        },
                    }
                ]
            },
            "no_recurring_in_payment_mode",
            id="recurring-in-payment-mode",
        ),
    ],
)
def test_the_json_schema_refuses_what_the_cross_field_rules_refuse(
    change: dict[str, Any], rule: str
) -> None:
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    rules = CONTRACT["components"]["schemas"]["CheckoutSessionCreateParams"]["x-leanrails-rules"]
    source = {r["id"]: r["source"] for r in rules}[rule]
    assert not validator("CheckoutSessionCreateParams").is_valid(body)
    if source == "reference":
        with pytest.raises(ValidationError):
            CheckoutSessionCreateParams.model_validate(body)
    else:  # the models take it; the conventions name it (the sandbox refuses it)
        assert faults(CheckoutSessionCreateParams.model_validate(body))


def test_an_embedded_session_needs_no_success_url_in_the_schema_or_the_models() -> None:
    body = {**{k: v for k, v in VALID.items() if k != "success_url"}, "ui_mode": "embedded"}
    validator("CheckoutSessionCreateParams").validate(body)
    CheckoutSessionCreateParams.model_validate(body)


def test_every_path_beyond_the_create_is_marked_a_sandbox_convention() -> None:
    others = {
        (path, method): operation
        for path, item in CONTRACT["paths"].items()
        for method, operation in item.items()
        if (path, method) != ("/v1/checkout_sessions", "post")
    }
    assert sorted(others) == [
        ("/v1/checkout_sessions/{id}", "get"),
        ("/v1/checkout_sessions/{id}/expire", "post"),
        ("/v1/test_helpers/checkout_sessions/{id}/complete", "post"),
    ]
    assert {op["x-leanrails-convention"] for op in others.values()} == {"sandbox"}


GENERATED_USE = textwrap.dedent(
    """
    import base64, json, sys
    from lean_rails_checkout_sessions_client import Client
    from lean_rails_checkout_sessions_client.api.default import (
        complete_checkout_session, create_checkout_session, retrieve_checkout_session,
    )
    from lean_rails_checkout_sessions_client.models import CheckoutSessionCreateParams

    base_url, key, body = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    token = base64.b64encode(f"{key}:".encode()).decode()
    client = Client(base_url=base_url, headers={"Authorization": f"Basic {token}"})
    created = create_checkout_session.sync(
        client=client,
        body=CheckoutSessionCreateParams.from_dict(body),
        idempotency_key="generated-client-1",
    )
    completed = complete_checkout_session.sync(
        created.id, client=client, idempotency_key="generated-client-2"
    )
    again = retrieve_checkout_session.sync(created.id, client=client)
    print(json.dumps([created.status.value, created.amount_total, again.payment_status.value]))
    """
)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_client_generated_by_openapi_python_client_installs_and_creates_a_session(
    tmp_path: Path, live_server: LiveServer
) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    contract = tmp_path / "openapi.yaml"
    contract.write_text(yaml.safe_dump(CONTRACT))
    subprocess.run(
        [
            bin_dir / "openapi-python-client",
            "generate",
            "--path",
            contract,
            "--meta",
            "setup",
            "--output-path",
            tmp_path / "generated",
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    # Installed as a user would, offline: the contract's version must be a valid one.
    subprocess.run(
        [
            bin_dir / "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--no-deps",
            "--no-build-isolation",
            "--offline",
            "--target",
            tmp_path / "site",
            tmp_path / "generated",
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    with Sandbox(base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    GENERATED_USE,
                    live_server.url,
                    TEST_API_KEY,
                    json.dumps(REQUEST_EXAMPLES["price"]["value"]),
                ],
                capture_output=True,
                text=True,
                env={**env, "PYTHONPATH": str(tmp_path / "site")},
                timeout=60,
            )
        finally:
            live_server.unmount()
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == '["open", 4000, "paid"]'
