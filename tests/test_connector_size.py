"""The line counter behind the connector-size figures counts code, not docs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "bench" / "connector_size.py"
_SPEC = importlib.util.spec_from_file_location("connector_size", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
size = importlib.util.module_from_spec(_SPEC)
sys.modules["connector_size"] = size
_SPEC.loader.exec_module(size)


def test_blank_lines_comments_and_docstrings_do_not_count() -> None:
    source = '''"""Module docstring
over two lines."""

# a comment
import os  # a trailing comment counts as code


class A:
    """Class docstring."""

    x = """not a docstring:
    a value"""

    def f(self) -> None:
        """Function docstring."""
        return None
'''
    # import, class, x = (2 lines), def, return
    assert size.code_lines(source) == 6


def test_the_first_party_connectors_are_measured() -> None:
    figures = size.measure()
    assert set(figures["connectors"]) >= {"amazon", "ebay", "woocommerce"}
    assert all(lines > 0 for lines in figures["connectors"].values())
    assert figures["scaffold"]["test_class"] > 0


def test_the_simulators_are_a_room_of_their_own() -> None:
    rooms = size.measure()["rooms"]
    assert rooms["sims"] > 0 and rooms["testing"] > 0
    # testing/ is measured without the simulators: it holds no sims/ folder any more.
    assert not (size.ROOT / "src" / "orderhub" / "testing" / "sims").exists()
