"""Templates, and the small helpers every page uses to render and to redirect."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from orderhub.config import human_duration
from orderhub.web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "never"
    return f"{human_duration((now or datetime.now(UTC)) - moment)} ago"


def _when(moment: datetime | None) -> Markup | str:
    if moment is None:
        return "-"
    utc = moment.astimezone(UTC)
    # A <time> element keeps date and time on one line in narrow table cells.
    return Markup('<time datetime="{}">{}</time>').format(
        utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M")
    )


def _money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.2f} {currency}".strip()


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = _ago
    env.filters["when"] = _when
    env.filters["money"] = _money
    env.filters["duration"] = lambda d: human_duration(d) if d is not None else "-"
    return env


class Renderer:
    def __init__(self) -> None:
        self.env = make_environment()

    def page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        session = request.session
        # Messages belong to the next full page: an htmx fragment loading meanwhile (the
        # shipment form's order lines) must not swallow them.
        flashes = session.pop("flash", []) if "flash" in session and not is_htmx(request) else []
        values = {
            "request": request,
            "csrf_token": csrf_token(session),
            "flashes": flashes,
            "logged_in": session.get("user") == "console",
            "active": context.pop("active", ""),
            **context,
        }
        return HTMLResponse(self.env.get_template(template).render(values), status_code)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def clean_text(value: object, limit: int = 200, *, lines: bool = False) -> str:
    """A form or query value as text: stripped, cut to ``limit``, without control
    characters (no id or SKU holds one, and PostgreSQL refuses a NUL in any text);
    ``lines`` keeps line breaks (a textarea of one item per line)."""
    if not isinstance(value, str):
        return ""
    pattern = _CONTROL_BUT_NEWLINE if lines else _CONTROL
    return pattern.sub("", value).strip()[:limit]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def flash(request: Request, kind: str, text: str) -> None:
    """A message shown once on the next page (kind: ok, error)."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": text})
    request.session["flash"] = messages[-5:]


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
