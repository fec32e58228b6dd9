"""Loaded by ``make test``'s pytest (``-p tests._support.untraced``) before coverage starts.

Coverage measures the package alone, yet its tracer slows every line that runs under it, the
import of the libraries the tests use too: the workers' collection took 11 s under it instead
of 4 (jsonschema alone 4.4 s, as rfc3987-syntax compiles 38 grammars on import). Imported
here, before pytest-cov starts coverage, they cost what they cost without it. Never the
package: its own import-time lines would go unmeasured. Nor hypothesis, whose pytest plugin
must import it after pytest has set up assertion rewriting.
"""

import sys

import bs4  # noqa: F401
import IPython  # noqa: F401
import jsonschema  # noqa: F401
import jupyter_client  # noqa: F401
import markdown  # noqa: F401
import mkdocs.config  # noqa: F401
import nbclient  # noqa: F401
import nbformat  # noqa: F401
import openapi_spec_validator  # noqa: F401
import playwright.sync_api  # noqa: F401
import psycopg  # noqa: F401
import pydantic  # noqa: F401
import yaml  # noqa: F401

if "leanrails" in sys.modules or "hypothesis" in sys.modules:
    raise ImportError("tests/_support/untraced.py imported leanrails or hypothesis early")
