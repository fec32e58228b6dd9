"""``LEANRAILS_LOG=debug|info`` turns on the kit's logs with no code (openai's ``OPENAI_LOG``).

Only the ``leanrails`` logger gets a handler, so an application's own logging is untouched.
The client masks the key (and any credentials in ``base_url``) before it logs.
"""

from __future__ import annotations

import logging
import os
import warnings

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
# One handler for the process: importing twice (or reloading) never doubles every line.
_HANDLER = logging.StreamHandler()
_HANDLER.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))


def setup_logging() -> None:
    value = os.environ.get("LEANRAILS_LOG", "")
    if not value:
        return
    level = LEVELS.get(value.strip().lower())
    if level is None:
        warnings.warn(
            f"LEANRAILS_LOG={value!r} is not one of {', '.join(LEVELS)}; logging stays off",
            stacklevel=2,
        )
        return
    logger = logging.getLogger("leanrails")
    logger.addHandler(_HANDLER)
    logger.setLevel(level)
