import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TRAINER_SHARED_DATA", REPO.parent / "shared" / "data"))
SEED = REPO / "seeds" / "000_9a723f3c1d4aaaf8.txt"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set TRAINER_SHARED_DATA)")
    return SHARED_DATA
