"""Shared fixtures. Tests that need ../shared/data skip with a reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MEMELAB_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real public data); skips the test when it is absent (a user's clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set MEMELAB_SHARED_DATA); runs in CI")
    return SHARED_DATA


# Property-based tests run derandomized (the same examples on every run and machine, so CI is
# reproducible) with a bounded number of examples; HYPOTHESIS_PROFILE=fuzz explores more, with
# fresh randomness, when hunting for new failures locally.
from hypothesis import settings  # noqa: E402

settings.register_profile(
    "memelab", derandomize=True, max_examples=25, deadline=None, database=None
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "memelab"))
