"""Benchmark 1: validate and serialize a typical request, against ``json.dumps`` of it.

Measured: ``CheckoutSessionCreateParams.model_validate(body)``, then ``.to_api()``, then
``json.dumps`` of the result: what the client does before it sends anything. Baseline:
``json.dumps(body)``, what sending the dict unchecked costs.
"""

from __future__ import annotations

import json

from leanrails import CheckoutSessionCreateParams

from ._payloads import TYPICAL_BODY
from ._report import Row, micros
from ._timing import compare

TARGET = 3.0


def validate_and_serialize() -> str:
    return json.dumps(CheckoutSessionCreateParams.model_validate(TYPICAL_BODY).to_api())


def dumps_only() -> str:
    return json.dumps(TYPICAL_BODY)


def run(*, batches: int) -> list[Row]:
    assert json.loads(validate_and_serialize()) == json.loads(dumps_only())
    result = compare(validate_and_serialize, dumps_only, batches=batches)
    return [
        Row(
            id="1",
            what="validate + serialize a typical request (model_validate, to_api, json)",
            measured=micros(result.measured),
            baseline=f"{micros(result.baseline)} (json.dumps)",
            ratio=result.ratio,
            target=f"≤ {TARGET:g}x",
            passed=result.ratio <= TARGET,
            details=result.as_dict(),
        )
    ]


PROFILE_TARGET = validate_and_serialize
