"""MkDocs hooks: the events are :mod:`leanrails_docs.site`'s (importable, typed, tested)."""

from leanrails_docs.site import (
    on_config,
    on_files,
    on_page_content,
    on_page_markdown,
    on_post_build,
    on_post_page,
)

__all__ = [
    "on_config",
    "on_files",
    "on_page_content",
    "on_page_markdown",
    "on_post_build",
    "on_post_page",
]
