"""Where the channels' official API models live for the tests that check the simulators
against them.

They are not part of the repository (their licenses differ); they sit in a ``shared/specs``
folder beside a checkout, or wherever ``ORDERHUB_SPECS_DIR`` points. Tests that need them
skip with a clear reason when they are missing.
"""

from __future__ import annotations

import os
from pathlib import Path

SPECS_ENV = "ORDERHUB_SPECS_DIR"


def specs_dir(start: Path | None = None) -> Path:
    """``$ORDERHUB_SPECS_DIR``, else ``shared/specs`` beside the checkout holding ``start``
    (this file by default). The folder may not exist: callers check and skip."""
    value = os.environ.get(SPECS_ENV, "").strip()
    if value:
        return Path(value)
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent.parent / "shared" / "specs"
    return Path("shared") / "specs"
