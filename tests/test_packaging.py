"""What an application gets from the package: its metadata, its extras, its switches."""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import metadata, packages_distributions, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]

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


def test_development_tools_are_dependency_groups_not_published_extras() -> None:
    groups = PYPROJECT["dependency-groups"]
    assert set(groups) == {"test", "typing", "docs", "browser"}
    assert {"pytest", "mypy", "mkdocs", "playwright"} <= {
        _distribution(r) for r in groups["test"] + groups["typing"] + groups["docs"]
    } | {_distribution(r) for r in groups["browser"]}
    published = set(metadata("leanrails").get_all("Provides-Extra") or [])
    assert published.isdisjoint(groups)
    assert published == set(PYPROJECT["project"]["optional-dependencies"])


def _specifier(requirement: str) -> SpecifierSet:
    return Requirement(requirement).specifier


def test_every_dependency_and_extra_has_a_floor() -> None:
    """The floors are proven by make test's lowest-versions run (make test-lowest)."""
    extras = PYPROJECT["project"]["optional-dependencies"].values()
    for requirement in itertools.chain(PYPROJECT["project"]["dependencies"], *extras):
        assert any(s.operator == ">=" for s in _specifier(requirement)), requirement


# Where the kit relies on a major version's API, or on internals (the sandbox subclasses
# uvicorn's H11Protocol and reads its connection state; the site needs mkdocs 1's plugins).
CEILINGS = {
    "httpx2": "3",
    "pydantic": "3",
    "uvicorn": "0.55",
    "h11": "0.17",
    "mkdocs": "2",
    "mkdocs-material": "10",
}


def test_what_the_kit_relies_on_has_a_ceiling() -> None:
    declared = {
        _distribution(r): _specifier(r)
        for requirements in [
            PYPROJECT["project"]["dependencies"],
            *PYPROJECT["project"]["optional-dependencies"].values(),
            *PYPROJECT["dependency-groups"].values(),
        ]
        for r in requirements
    }
    for name, ceiling in CEILINGS.items():
        assert f"<{ceiling}" in {str(s) for s in declared[name]}, (name, declared[name])


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The sdist's and the wheel's file names, built offline by the declared backend."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    with tarfile.open(sdist) as tar:
        sdist_names = [name.split("/", 1)[1] for name in tar.getnames() if "/" in name]
    with zipfile.ZipFile(wheel) as whl:
        wheel_names = whl.namelist()
        wheel_metadata = whl.read(f"leanrails-{version('leanrails')}.dist-info/METADATA")
        entry_points = whl.read(f"leanrails-{version('leanrails')}.dist-info/entry_points.txt")
    return {
        "sdist": sdist_names,
        "wheel": wheel_names,
        "metadata": wheel_metadata.decode().splitlines(),
        "entry_points": entry_points.decode().splitlines(),
    }


def _package_files(prefix: str) -> set[str]:
    return {
        prefix + path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_sdist_holds_what_builds_and_documents_the_package_and_nothing_else(
    built: dict[str, list[str]],
) -> None:
    # Hatchling adds .gitignore, so a wheel built from the sdist leaves out the same files.
    documents = {"README.md", "CHANGELOG.md", "LICENSE", ".gitignore"}
    builds = {"pyproject.toml", "PKG-INFO"}
    assert set(built["sdist"]) == documents | builds | _package_files("src/leanrails/")


def test_the_wheel_holds_the_package_its_metadata_and_its_command(
    built: dict[str, list[str]],
) -> None:
    dist_info = f"leanrails-{version('leanrails')}.dist-info/"
    assert {n for n in built["wheel"] if not n.startswith(dist_info)} == _package_files(
        "leanrails/"
    )
    assert {"leanrails/openapi.yaml", "leanrails/py.typed"} <= set(built["wheel"])
    assert f"{dist_info}licenses/LICENSE" in built["wheel"]
    assert "leanrails = leanrails._cli:main" in built["entry_points"]
    classifiers = {
        line.split(": ", 1)[1] for line in built["metadata"] if line.startswith("Classifier: ")
    }
    assert {
        "Development Status :: 3 - Alpha",
        "Framework :: Pydantic :: 2",
        "Framework :: AnyIO",
        "Framework :: Jupyter",
        "Typing :: Typed",
    } <= classifiers
    assert "Author: The LeanRails Checkout kit authors" in built["metadata"]
    requires = {
        line.split(": ", 1)[1] for line in built["metadata"] if line.startswith("Requires-Dist: ")
    }
    assert {str(Requirement(r)) for r in PYPROJECT["project"]["dependencies"]} <= requires


def test_leanrails_version_prints_the_packages_version() -> None:
    result = _run("-m", "leanrails", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"leanrails {version('leanrails')}\n"


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
