"""Benchmark 1: validate and serialize a typical request, against ``json.dumps`` of it.

Measured: ``CheckoutSessionCreateParams.model_validate(body)``, the kit's conventions on it
(``_conventions.faults``) and ``to_json()``, the wire bytes: what the client does before it
sends anything. Baseline: ``json.dumps(body).encode()``,
what sending the dict unchecked costs.

Two rows: **1** repeats one request, **1c** gives every call a new customer email (no
per-address cache can help). Both sides of
a row serialize the same bodies in the same order.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

from leanrails import CheckoutSessionCreateParams
from leanrails._conventions import faults

from ._payloads import TYPICAL_BODY, customers_label, with_new_customers
from ._report import Row, timed_row
from ._timing import compare

TARGET = 3.0


def validate_and_serialize(body: dict[str, Any] = TYPICAL_BODY) -> bytes:
    params = CheckoutSessionCreateParams.model_validate(body)
    faults(params)  # the conventions: a live client warns of them, a strict one refuses
    return params.to_json()


def sides(new_customers: bool) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """(measured, baseline), each drawing the next body from the same sequence."""
    bodies = with_new_customers() if new_customers else [TYPICAL_BODY]
    measured_bodies, baseline_bodies = itertools.cycle(bodies), itertools.cycle(bodies)

    def measured() -> bytes:
        return validate_and_serialize(next(measured_bodies))

    def baseline() -> bytes:
        return json.dumps(next(baseline_bodies)).encode()

    return measured, baseline


def run_one(*, new_customers: bool, batches: int) -> Row:
    measured, baseline = sides(new_customers)
    assert json.loads(measured()) == json.loads(baseline())
    result = compare(measured, baseline, batches=batches)
    return timed_row(
        "1c" if new_customers else "1",
        "validate + serialize a typical request (model_validate, to_json)"
        + customers_label(new_customers),
        result,
        baseline="json.dumps",
        limit=TARGET,
    )


def profile_target(new_customers: bool) -> None:
    measured, _ = sides(new_customers)
    for _ in range(3000):
        measured()
