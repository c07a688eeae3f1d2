"""The connector conformance suite: subclass :class:`ConnectorConformance` once per connector
and every standard test that applies to the connector's declared capabilities runs against
the author's simulated channel, on a fake clock, with the real store.

The tests are grouped by their name's second word: ``contract``, ``connection``, ``fetch``,
``resilience``, ``normalization``, ``sync``, ``push`` and ``hygiene``, one module per group
(``checks_<group>.py``), all on :class:`~orderhub.testing.kit.base.ConformanceBase` (the
declarations and hooks). Their names are stable and say what is promised, because
connector authors read them in failure reports; every failure message names the problem
and what to change. The "Writing a connector" walkthrough (CONTRIBUTING.md) documents every
hook.
"""

from __future__ import annotations

from orderhub.testing.kit.checks_contract import ContractChecks
from orderhub.testing.kit.checks_fetch import FetchChecks
from orderhub.testing.kit.checks_hygiene import HygieneChecks
from orderhub.testing.kit.checks_normalization import NormalizationChecks
from orderhub.testing.kit.checks_push import PushChecks
from orderhub.testing.kit.checks_resilience import ResilienceChecks
from orderhub.testing.kit.checks_sync import SyncChecks

__all__ = ["ConnectorConformance"]


class ConnectorConformance(
    ContractChecks,
    FetchChecks,
    ResilienceChecks,
    NormalizationChecks,
    SyncChecks,
    PushChecks,
    HygieneChecks,
):
    """Base class of a connector's conformance test class: every group, against the
    author's simulator (see :class:`~orderhub.testing.kit.base.ConformanceBase` for what to
    declare and implement). Not collected itself."""

    __test__ = False
