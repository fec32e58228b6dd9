"""The site's tooling: the contract flattened into fields, the guide's sections, the pages.

Importable (``docs/_tools`` is on pytest's path and the mkdocs hooks put it on theirs), typed
and tested directly; ``docs/_tools/hooks.py`` only wires mkdocs events to these modules.
``openapi`` needs nothing but PyYAML, so the package's own tests can use it on any Python.
"""
