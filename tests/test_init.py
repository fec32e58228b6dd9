"""The public API is declared once, in ``leanrails/__init__.py``; this guards it."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

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


def test_import_leanrails_loads_no_display_jupyter_sandbox_yaml_or_model_machinery() -> None:
    # Loaded on first use: a display in Jupyter, %load_ext leanrails, the sandbox, the
    # contract, and the clients with their pydantic models (pydantic.main builds them).
    heavy = (
        "IPython",
        "ipywidgets",
        "yaml",
        "email_validator",
        "pydantic.main",
        "leanrails._client",
        "leanrails._params",
        "leanrails._display",
        "leanrails._jupyter",
        "leanrails._explore_form",
        "leanrails._contract",
        "leanrails.sandbox",
    )
    script = f"import sys, leanrails\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_first_use_of_a_deferred_name_loads_it_homed_as_if_imported() -> None:
    script = (
        "import leanrails\n"
        "client_error = leanrails.ValidationError\n"
        "from leanrails import *\n"
        "print(client_error.__module__, LeanRails.__module__, CheckoutSession.__module__,"
        " 'LeanRails' in dir(leanrails))\n"
        "leanrails.Misspelled\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.stdout.split() == ["leanrails", "leanrails", "leanrails._session", "True"]
    assert "AttributeError: module 'leanrails' has no attribute 'Misspelled'" in result.stderr


def test_the_deferred_names_are_the_ones_a_type_checker_is_shown() -> None:
    # What checkers and editors read (the imports under TYPE_CHECKING) and what __getattr__
    # loads at run time are the same names from the same modules.
    tree = ast.parse(Path(leanrails.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    shown = {
        alias.name: (node.module or "").lstrip(".")
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }

    assert shown == leanrails._DEFERRED
    for name, home in shown.items():
        assert getattr(leanrails, name) is getattr(import_module(f"leanrails.{home}"), name)
