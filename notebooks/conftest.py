"""nbval runs the guide's notebooks only: a scratch notebook saved here is not collected."""

from pathlib import Path

from leanrails_docs.guide import GUIDE_NOTEBOOKS


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if collection_path.suffix == ".ipynb" and collection_path.parent == Path(__file__).parent:
        return collection_path.name not in GUIDE_NOTEBOOKS or None
    return None
