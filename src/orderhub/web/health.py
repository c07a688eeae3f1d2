"""``/healthz`` and ``/readyz`` for container probes and load balancers, without login and
without data: the very answers the worker serves beside ``/metrics`` (``orderhub.probes``).

Inside ``orderhub run`` the console is given the worker's liveness (its heartbeat job ran
lately); ``orderhub web`` alone is alive while it answers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.probes import Probe, readiness
from orderhub.web.context import console


def _answer(probe: Probe) -> Response:
    status, headers, body = probe.http()
    return Response(body, status, headers=headers)


async def healthz(request: Request) -> Response:
    liveness = console(request).liveness
    return _answer(liveness() if liveness is not None else Probe(True, {"process": "answers"}))


def readyz(request: Request) -> Response:
    # Sync endpoint: Starlette runs it in a thread, so a slow database never blocks the loop.
    return _answer(readiness(console(request).engine))


def routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/readyz", readyz)]
