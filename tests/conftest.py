"""Hypothesis profiles, and one BLAS thread per test process. ``.ci/run`` sets
HYPOTHESIS_PROFILE=ci: the same examples on every run (derandomized), so a CI result depends on
the code alone. Without it (the default profile) every run explores new examples; a failure
prints the example and a ``@reproduce_failure`` blob."""
import os
import sys
from pathlib import Path

from hypothesis import settings
from threadpoolctl import threadpool_limits

# the tests' helper modules (sampling, backend_cases, ...) import by name
sys.path.insert(0, str(Path(__file__).parent))

# No deadline in either profile: an example's first call may compile a Numba kernel (seconds).
settings.register_profile("default", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The test command runs one xdist worker per core: BLAS threads on the tests' small products would
# only wait on each other (numfmt.study limits its own products the same way).
threadpool_limits(1, user_api="blas")
