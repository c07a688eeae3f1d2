"""``/healthz`` (the process answers) and ``/readyz`` (the store answers and its schema is
current): for container probes and load balancers, without login and without data."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from orderhub.store.db import SchemaOutOfDateError, ensure_current
from orderhub.web.context import console


async def healthz(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


def readyz(request: Request) -> PlainTextResponse:
    # Sync endpoint: Starlette runs it in a thread, so a slow database never blocks the loop.
    engine = console(request).engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        ensure_current(engine)
    except SchemaOutOfDateError as exc:
        return PlainTextResponse(f"not ready: {exc}\n", 503)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        return PlainTextResponse(f"not ready: the store does not answer ({reason}).\n", 503)
    return PlainTextResponse("ready\n")


def routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/readyz", readyz)]
