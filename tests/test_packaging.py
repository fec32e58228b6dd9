"""What an application gets from the package: its metadata, its extras, its switches."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from importlib.metadata import metadata, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "leanrails"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SECRET = "sk_test_" + "packaging0123456789"
# Imported directly, installed by a declared dependency that pins it exactly.
PINNED_BY = {"pydantic-core": "pydantic"}
# Needed at run time without an import: the Jupyter kernel that nbclient starts.
RUN_NOT_IMPORTED = {"ipykernel"}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**clean, **env}, timeout=60
    )


def _distribution(requirement: str) -> str:
    return Requirement(requirement).name.lower().replace("_", "-")


def _third_party_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names | {"leanrails"}}


def test_every_import_of_the_package_is_a_dependency_or_an_extra_that_uses_it() -> None:
    to_distribution = packages_distributions()
    imported = {
        PINNED_BY.get(dist.lower().replace("_", "-"), dist.lower().replace("_", "-"))
        for path in SRC.rglob("*.py")
        for module in _third_party_imports(path)
        for dist in to_distribution.get(module, [module])
    }
    core = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {
        extra: {_distribution(r) for r in requirements}
        for extra, requirements in PYPROJECT["project"]["optional-dependencies"].items()
    }
    declared = core.union(*extras.values())
    assert imported - declared == set(), "imported but not declared"
    for extra, distributions in extras.items():
        unused = distributions - imported - RUN_NOT_IMPORTED
        assert unused == set(), f"the {extra!r} extra installs what nothing imports"


def test_development_tools_are_a_dependency_group_not_a_published_extra() -> None:
    assert "dev" not in PYPROJECT["project"]["optional-dependencies"]
    assert "pytest" in PYPROJECT["dependency-groups"]["dev"]
    assert "dev" not in (metadata("leanrails").get_all("Provides-Extra") or [])


def test_the_declared_license_ships_as_a_file() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_python_dash_m_leanrails_is_the_command_line() -> None:
    result = _run("-m", "leanrails", "--help")
    assert result.returncode == 0, result.stderr
    assert "sandbox" in result.stdout


CREATE = (
    "from leanrails import LeanRails\n"
    f"client = LeanRails.sandbox(api_key={SECRET!r})\n"
    "client.checkout_sessions.create(mode='payment', success_url='https://example.com/s',"
    " line_items=[{'price': 'price_test_tshirt', 'quantity': 1}])\n"
)


@pytest.mark.parametrize(
    ("level", "logged"),
    [
        pytest.param("debug", True, id="debug-logs-each-request"),
        pytest.param("INFO", False, id="info-logs-no-successful-request"),
        pytest.param("", False, id="unset-logs-nothing"),
    ],
)
def test_leanrails_log_switches_on_the_kits_logs_without_the_key(level: str, logged: bool) -> None:
    result = _run("-c", CREATE, LEANRAILS_LOG=level)
    assert result.returncode == 0, result.stderr
    assert ("POST https://sandbox.leanrails.test/v1/checkout_sessions -> 200" in result.stderr) is (
        logged
    )
    assert SECRET not in result.stderr


def test_an_unknown_leanrails_log_level_is_named_and_ignored() -> None:
    result = _run("-c", "import leanrails", LEANRAILS_LOG="loud")
    assert result.returncode == 0
    assert "LEANRAILS_LOG='loud' is not one of debug, info; logging stays off" in result.stderr


def test_the_wheel_ships_the_contract_and_the_pages_stylesheet_whose_hash_the_csp_allows(
    tmp_path: Path,
) -> None:
    import base64
    import hashlib
    import zipfile

    from leanrails.sandbox._html import STYLE_HASH

    uv = Path(sys.executable).with_name("uv")
    built = subprocess.run(
        [str(uv), "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("leanrails-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        css = archive.read("leanrails/sandbox/page.css")
    assert "leanrails/openapi.yaml" in names
    assert "leanrails/sandbox/_page_style.py" not in names
    digest = base64.b64encode(hashlib.sha256(css).digest()).decode()
    assert f"'sha256-{digest}'" == STYLE_HASH
