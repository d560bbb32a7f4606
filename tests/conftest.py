"""Suite-wide test settings.

Hypothesis runs derandomized (a fixed seed per test) when CI is set, so a CI run is repeatable
and a failure reproduces exactly; developers' runs keep exploring new examples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
