"""The tests that run with coverage's tracer paused (pytest-cov's ``no_cover`` marker).

Coverage's tracer (``sys.settrace``, with branches) slows every line of Python in its
process, the libraries' as much as the package's: most of what it costs a test is spent
outside the package. Two kinds of test modules pay that and give the report nothing:

- those that run no package code in their own process, only in the kernels, servers and
  builds they drive (the browser tests of the site and JupyterLab, the lockout attack on
  server processes): the tracer only slowed Playwright's or the attack client's Python;
- the reliability modules that generate hundreds of inputs, whose reach varies from run to
  run (parity and fuzz draw theirs from a clock-seeded generator, differential stops at a
  time budget): the deterministic tests reach the same lines and branches (the report was
  the same with and without them). Alone, coverage doubled their CPU time (parity 11.3 to
  25.1 CPU seconds, fuzz 8.7 to 16.0, differential 8.5 to 15.1).

Each test still runs whole, with every assertion; only the measurement pauses.
"""

import pytest

UNTRACED = pytest.mark.no_cover
