"""The tests that run with coverage's tracer paused (pytest-cov's ``no_cover`` marker).

Coverage's tracer (``sys.settrace``, with branches) slows every line of Python in its
process, the libraries' as much as the package's. The modules marked here run no package
code in their own process, only in the kernels, servers and builds they drive (the browser
tests of the site and JupyterLab, the lockout attack on server processes): the tracer only
slowed Playwright's or the attack client's Python, and the report is the same without them.
Each test still runs whole, with every assertion; only the measurement pauses.
"""

import pytest

UNTRACED = pytest.mark.no_cover
