"""``orderhub sync`` on a terminal: a progress bar with the channel's total, and log lines
printed above the live display instead of through it."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from orderhub.cli import running

from .conftest import SHOP_ORDERS, Cli, Shop, assert_ok

# rich's cursor movement and line erasing between frames of the live display.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a 160-column terminal, as a seller running `orderhub sync` has."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    monkeypatch.setattr(running, "errors", console)
    return screen


def frames(screen: io.StringIO) -> list[str]:
    """Every line drawn on the terminal, control sequences removed."""
    lines = _CONTROL.sub("\n", screen.getvalue()).split("\n")
    return [line.rstrip() for line in lines if line.strip()]


def test_progress_shows_the_windows_and_the_total_the_channel_announced(
    configured: Cli, shop: Shop, terminal: io.StringIO
) -> None:
    assert_ok(configured("sync", "shop"))
    progress = [line for line in frames(terminal) if "sync shop" in line]
    # The first sync reads 30 days in 7-day chunks: 5 windows, each with the total that
    # WooCommerce's X-WP-Total announced for it.
    announced: dict[int, tuple[int, int]] = {}
    for line in progress:
        found = re.search(r"window (\d)/5: (\d+)/(\d+) orders", line)
        if found:
            window, read, total = (int(group) for group in found.groups())
            assert read <= total, line
            announced[window] = (read, total)
    assert sorted(announced) == [1, 2, 3, 4, 5], "\n".join(progress)
    # Every window was read to its total, and the totals add up to the shop's orders.
    assert all(read == total for read, total in announced.values()), announced
    assert sum(total for _read, total in announced.values()) == SHOP_ORDERS
    last = progress[-1]
    assert "window 5/5: " in last and f"{SHOP_ORDERS} fetched: {SHOP_ORDERS} new" in last, last


def test_log_lines_print_above_the_live_display_whole(
    configured: Cli, shop: Shop, terminal: io.StringIO
) -> None:
    result = configured("sync", "shop")
    assert_ok(result)
    lines = frames(terminal)
    events = [line for line in lines if '"event"' in line]
    # Every info event of the run reached the terminal through the live display's console,
    # each on a line of its own: none was cut by, or glued to, a progress frame.
    for name in ("sync.started", "sync.finished"):
        matching = [line for line in events if f'"event": "{name}"' in line]
        assert len(matching) == 1, events
        assert matching[0].startswith("{") and matching[0].endswith("}"), matching[0]
        assert "sync shop" not in matching[0]
    # Nothing went around the display to the raw stream.
    assert "sync.started" not in result.stderr
    assert shop.secret not in terminal.getvalue()
