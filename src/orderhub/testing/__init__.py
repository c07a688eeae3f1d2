"""The connector test kit and the simulated marketplaces (shipped in the wheel)."""

from orderhub.testing.clock import FakeClock

__all__ = ["FakeClock"]
