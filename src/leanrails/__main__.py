"""``python -m leanrails``: the same command line as the ``leanrails`` script."""

from ._cli import main

raise SystemExit(main())
