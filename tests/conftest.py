"""Loads the Hypothesis profile for the whole run (see fuzz_profiles.py)."""

import fuzz_profiles  # noqa: F401  (registers and loads the profile on import)
