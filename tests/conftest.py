"""Hypothesis profiles, and one BLAS thread per test process. ``.ci/run`` sets
HYPOTHESIS_PROFILE=ci: the same examples on every run (derandomized), so a CI result depends on
the code alone, and CI_EXAMPLES of each test's examples (most of a property test's time is the
kernels its examples compile; the default profile runs them all). Without it (the default profile) every run explores new examples; a failure
prints the example and a ``@reproduce_failure`` blob."""
import math
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

CI_EXAMPLES = 0.5           # the share of a hypothesis test's max_examples that the ci profile runs


def pytest_collection_modifyitems(items):
    """Under the ci profile, scale each hypothesis test's max_examples by CI_EXAMPLES (once per
    test function: its parametrized items share it)."""
    if os.environ.get("HYPOTHESIS_PROFILE") != "ci":
        return
    done = set()
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or id(test) in done:
            continue
        done.add(id(test))
        test._hypothesis_internal_use_settings = settings(own, max_examples=max(1, math.ceil(own.max_examples
                                                                                        * CI_EXAMPLES)))
