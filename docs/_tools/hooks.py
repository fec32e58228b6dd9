"""MkDocs hooks: the events are :mod:`leanrails_docs.site`'s (importable, typed, tested)."""

from leanrails_docs.site import *  # noqa: F403  (the events, as leanrails_docs.site.__all__)
