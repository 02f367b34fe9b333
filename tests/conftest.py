"""Hypothesis profiles. ``.ci/run`` sets HYPOTHESIS_PROFILE=ci: the same examples on every run
(derandomized), so a CI result depends on the code alone. Without it (the default profile) every
run explores new examples; a failure prints the example and a ``@reproduce_failure`` blob."""
import os

from hypothesis import settings

# No deadline in either profile: an example's first call may compile a Numba kernel (seconds).
settings.register_profile("default", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
