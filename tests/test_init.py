"""The public API is declared once, in ``leanrails/__init__.py``; this guards it."""

from __future__ import annotations

import subprocess
import sys

import leanrails
import leanrails.sandbox
import leanrails.testing

PUBLIC = {
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIServerError",
    "APIStatusError",
    "APITimeoutError",
    "Address",
    "AsyncLeanRails",
    "AuthenticationError",
    "CheckoutSession",
    "CheckoutSessionCreateBody",
    "CheckoutSessionCreateParams",
    "ConfigurationError",
    "ConventionWarning",
    "CustomerDetails",
    "IdempotencyError",
    "InvalidRequestError",
    "LeanRails",
    "LeanRailsError",
    "LineItem",
    "LineItemParam",
    "NotFoundError",
    "PaymentIntentData",
    "PaymentIntentDataParam",
    "PermissionDeniedError",
    "PriceData",
    "PriceDataParam",
    "RateLimitError",
    "Recurring",
    "RecurringParam",
    "TotalDetails",
    "UsageError",
    "ValidationError",
    "__version__",
    "explore",
    "to_curl",
}


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(leanrails.__all__) == PUBLIC
    assert len(leanrails.__all__) == len(PUBLIC)


def test_every_exported_name_exists_and_comes_from_the_package() -> None:
    for name in leanrails.__all__:
        value = getattr(leanrails, name)
        module = getattr(value, "__module__", "leanrails")
        assert module.startswith("leanrails"), (name, module)


def test_errors_clients_and_responses_are_homed_in_the_package() -> None:
    for name in leanrails.__all__:
        value = getattr(leanrails, name)
        if isinstance(value, type) and (issubclass(value, Exception) or "LeanRails" in name):
            assert value.__module__ == "leanrails", name
    assert leanrails.APIResponse.__module__ == "leanrails"


def test_the_testing_module_declares_its_public_api() -> None:
    assert set(leanrails.testing.__all__) == {"RetryRecord", "record_retries", "set_testing"}
    for name in leanrails.testing.__all__:
        assert getattr(leanrails.testing, name).__module__ == "leanrails.testing", name


def test_the_sandbox_package_declares_its_own_public_api() -> None:
    assert {"Sandbox", "SandboxTransport", "AsyncSandboxTransport", "create_app"} <= set(
        leanrails.sandbox.__all__
    )
    for name in leanrails.sandbox.__all__:
        assert hasattr(leanrails.sandbox, name), name


def test_import_leanrails_loads_no_display_jupyter_or_email_machinery() -> None:
    # Loaded on first use: a display in Jupyter, %load_ext leanrails, a customer_email.
    script = (
        "import sys, leanrails\n"
        "print(sorted(m for m in ('IPython', 'leanrails._display', 'leanrails._jupyter',"
        " 'leanrails._explore_form', 'email_validator', 'ipywidgets') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
