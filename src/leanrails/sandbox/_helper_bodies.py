"""The bodies of the test-helper routes (and of expire): strict and closed, like the request
models, so a typo is a 400 naming the field rather than silently ignored."""

from __future__ import annotations

from pydantic import Field

from ._customer import CustomerDetailsParams, Strict
from ._faults import MAX_DELAY_SECONDS, Faults


class CompleteParams(Strict):
    """``POST /v1/test_helpers/checkout_sessions/{id}/complete``."""

    customer_details: CustomerDetailsParams | None = None


class EmptyParams(Strict):
    """A route that takes no parameters: an empty body or ``{}``."""


class _FailNextParams(Strict):
    count: int = Field(ge=0, le=10_000)
    status: int = Field(default=503, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)


class _DelayParams(Strict):
    seconds: float = Field(ge=0, le=MAX_DELAY_SECONDS)
    count: int | None = Field(default=None, ge=0, le=10_000)


class FaultParams(Strict):
    """``POST /v1/test_helpers/faults``: each given fault is set, after ``clear``."""

    clear: bool = False
    fail_next: _FailNextParams | None = None
    delay: _DelayParams | None = None
    drop_after_commit: int | None = Field(default=None, ge=0, le=10_000)

    def apply(self, faults: Faults) -> None:
        if self.clear:
            faults.clear()
        if self.fail_next is not None:
            fail = self.fail_next
            faults.fail_next(fail.count, fail.status, retry_after=fail.retry_after)
        if self.delay is not None:
            faults.delay(self.delay.seconds, count=self.delay.count)
        if self.drop_after_commit is not None:
            faults.drop_after_commit(self.drop_after_commit)
