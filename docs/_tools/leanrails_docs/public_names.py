"""A Griffe extension: the Python API page shows public names only, never the package's private
ones (``_HttpClient``, ``_R``, ``_NoOtherParams``, ``_str_or_none``).

The page shows the source as written, and some of it is typing plumbing: the clients'
``__init__`` is ``BaseClient``'s, whose ``http_client`` is the type variable each client binds
(``LeanRails(BaseClient[httpx2.Client])``); the calls return ``_R``, the session (awaitable on
``AsyncLeanRails``); ``**others: Unpack[_NoOtherParams]`` only makes a type checker refuse an
unknown keyword; an attribute set in ``__init__`` shows the expression that computes it. This
rewrites what mkdocstrings renders (wired in ``mkdocs.yml``), never the package.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["PublicNames", "private_names"]

RETURNED = "CheckoutSession"
"""What ``_R`` stands for on the page: each documented call returns the session."""

_PRIVATE = re.compile(r"(?<![\w.])_[A-Za-z]\w*")


def private_names(text: str) -> list[str]:
    """The private names (``_x``, not ``__dunder__``) written in ``text``."""
    return [name for name in _PRIVATE.findall(text) if not name.endswith("__")]


def _bound(function: griffe.Function, variables: dict[str, str]) -> griffe.Function:
    """``function``, or a copy with each type variable of ``variables`` written as bound and
    a parameter typed with another private name (``**others``) left out."""
    signature = [function.returns, *(p.annotation for p in function.parameters)]
    if not any(private_names(str(a or "")) for a in signature):
        return function

    def bind(annotation: Any) -> Any:
        if annotation is None:
            return None
        text = str(annotation)
        for name, value in variables.items():
            text = re.sub(rf"(?<![\w.]){re.escape(name)}\b", value, text)
        return annotation if text == str(annotation) else text

    parameters = griffe.Parameters(
        *(
            griffe.Parameter(
                p.name,
                annotation=bind(p.annotation),
                kind=p.kind,
                default=p.default,
                docstring=p.docstring,
            )
            for p in function.parameters
            if not private_names(str(p.annotation or "")) or bind(p.annotation) != p.annotation
        )
    )
    copy = griffe.Function(
        function.name,
        lineno=function.lineno,
        endlineno=function.endlineno,
        parameters=parameters,
        returns=bind(function.returns),
        decorators=function.decorators,
        docstring=function.docstring,
        parent=function.parent,
    )
    copy.labels |= function.labels
    return copy


class PublicNames(griffe.Extension):
    """Rewrites the ``leanrails`` package as loaded for the page (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != "leanrails":
            return
        base = pkg["_base_client"]["BaseClient"]
        for cls in pkg["_client"].classes.values():
            bound = [b for b in cls.bases if isinstance(b, griffe.ExprSubscript)]
            if bound and str(bound[0].left) == base.name:
                init = _bound(base["__init__"], {"_HttpClient": str(bound[0].slice)})
                init.parent = cls
                cls.set_member("__init__", init)
        for module in pkg.modules.values():
            for cls in module.classes.values():
                self._public(cls)

    def _public(self, cls: griffe.Class) -> None:
        for name, member in list(cls.members.items()):
            if isinstance(member, griffe.Function) and not name.startswith("_"):
                cls.set_member(name, _bound(member, {"_R": RETURNED}))
            elif isinstance(member, griffe.Attribute) and private_names(str(member.value)):
                member.value = None
