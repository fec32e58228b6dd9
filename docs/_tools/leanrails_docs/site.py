"""The mkdocs events of the site, wired by ``docs/_tools/hooks.py``.

- ``on_config`` installs the field-path-aware slugify (``guide.slugify``) for every page.
- ``on_files`` replaces the placeholder ``field-reference.md`` with the generated endpoint
  reference (a guide field with no section is a warning, so a strict build fails), and
  adds ``CHANGELOG.md`` as the Changelog page.
- ``on_page_markdown`` / ``on_page_content`` / ``on_post_page`` make notebook pages read as
  docs (:mod:`leanrails_docs.notebook_pages`), their inlined CSS linked as shared files that
  ``on_post_build`` writes; on every page, identifiers wrap only at
  their separators (:mod:`leanrails_docs.wrapping`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from . import examples, notebook_pages, reference
from .contract import Field, contract_fields
from .guide import Section, coverage_problems, find_section, guide_sections, slugify
from .wrapping import wrap_identifiers

log = logging.getLogger("mkdocs.hooks.leanrails_docs")

ROOT = Path(__file__).resolve().parents[3]
CHANGELOG = ROOT / "CHANGELOG.md"
CHANGELOG_PAGE = "changelog.md"


def notebooks_dir(config: MkDocsConfig) -> Path:
    """The directory mkdocs-jupyter mounts at ``guide/``."""
    base = Path(config.config_file_path).parent
    try:
        mounts = config.plugins["mkdocs-jupyter"].config["notebook_dirs"]
        return (base / str(mounts[reference.GUIDE_MOUNT])).resolve()
    except (KeyError, TypeError):
        return (base / os.environ.get("LEANRAILS_NOTEBOOKS_DIR", "notebooks")).resolve()


@dataclass(frozen=True)
class Build:
    """What one build reads once: the contract's fields and the guide's sections.

    ``on_files`` reads them at the start of every build (``mkdocs serve`` rebuilds when the
    contract or a notebook changes); every page then uses them, instead of parsing the
    contract and every notebook again.
    """

    fields: list[Field]
    sections: list[Section]
    stylesheets: dict[str, str] = field(default_factory=dict)
    """The notebook pages' stylesheets by path under the site, gathered as pages render."""

    @classmethod
    def read(cls, directory: Path) -> Build:
        sections = guide_sections(directory) if directory.is_dir() else []
        return cls(contract_fields(), sections)


_build: Build | None = None


def current_build(config: MkDocsConfig) -> Build:
    """This build's :class:`Build` (read here if ``on_files`` has not run, as in a test)."""
    global _build
    if _build is None:
        _build = Build.read(notebooks_dir(config))
    return _build


def reference_page(build: Build) -> str:
    """The endpoint reference's Markdown, with each field's guide section."""
    for problem in coverage_problems(build.fields, build.sections):
        log.warning("field reference: %s", problem)  # strict builds fail on it
    example = examples.request_example()
    return reference.render_page(build.fields, build.sections, example, examples.error_examples())


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.mdx_configs.setdefault("toc", {})["slugify"] = slugify
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    placeholder = files.get_file_from_path(reference.PAGE)
    if placeholder is not None:
        files.remove(placeholder)
    global _build
    _build = Build.read(notebooks_dir(config))
    content = reference_page(_build)
    files.append(File.generated(config, reference.PAGE, content=content))
    changelog = CHANGELOG.read_text(encoding="utf-8")
    files.append(File.generated(config, CHANGELOG_PAGE, content=changelog))
    return files


def _is_notebook(page: Page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # After mkdocs-jupyter's own on_page_markdown (priority 100), which makes this Markdown.
    if _is_notebook(page):
        return notebook_pages.fix_markdown(markdown)
    if reference.BODY_PARAMETERS_MARKER in markdown:
        listing = reference.body_parameters(current_build(config).fields)
        return markdown.replace(reference.BODY_PARAMETERS_MARKER, listing)
    return markdown


def reference_links(page: Page, config: MkDocsConfig) -> dict[str, list[tuple[str, str]]]:
    """For a guide page: each heading's id, and the reference entries it walks through."""
    notebook = Path(page.file.src_uri).name
    build = current_build(config)
    links: dict[str, list[tuple[str, str]]] = {}
    for item in build.fields:
        section = find_section(item, build.sections)
        if section is not None and section.notebook == notebook:
            url = get_relative_url(f"{reference.URL}#{item.ref_id}", page.url)
            links.setdefault(section.anchor, []).append((item.heading, url))
    return links


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if _is_notebook(page):
        html = notebook_pages.link_stylesheets(html, page.url, current_build(config).stylesheets)
    soup = BeautifulSoup(html, "html.parser")  # once: every step below changes it in place
    if _is_notebook(page):
        notebook_pages.fix_html(soup)
        notebook_pages.link_back(soup, reference_links(page, config))
    return str(wrap_identifiers(soup))


@event_priority(-100)  # after mkdocs-jupyter's on_post_page, which adds the MathJax loader
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return notebook_pages.drop_mathjax(output)


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config: MkDocsConfig) -> None:
    site = Path(config.site_dir)
    for name, css in current_build(config).stylesheets.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(css, encoding="utf-8")
    path = site / "search" / "search_index.json"
    if path.is_file():
        index = json.loads(path.read_text(encoding="utf-8"))
        boosted = reference.boost_fields(index, current_build(config).fields)
        path.write_text(json.dumps(boosted, separators=(",", ":")), encoding="utf-8")


__all__ = [
    "on_config",
    "on_files",
    "on_page_content",
    "on_page_markdown",
    "on_post_build",
    "on_post_page",
]
