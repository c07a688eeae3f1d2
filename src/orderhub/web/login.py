"""Logging in and out. A wrong password is counted against the client's address (see
:class:`~orderhub.web.security.LoginLimiter`); a right one starts a fresh session (new
CSRF token, so a token seen before login is worth nothing after)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.web.context import console
from orderhub.web.rendering import clean_text, see_other
from orderhub.web.security import client_key, new_csrf_token, password_matches


def _safe_next(value: object) -> str:
    """Only a path of this console: never another site, never a query string."""
    if not isinstance(value, str):
        return "/"
    path = clean_text(value, 200).split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def login_page(request: Request) -> Response:
    renderer = console(request).renderer
    if request.session.get("user") == "console" and request.method == "GET":
        return see_other("/")
    return renderer.page(
        request, "login.html", next=_safe_next(request.query_params.get("next")), error=None
    )


async def login_submit(request: Request) -> Response:
    state = console(request)
    form = await request.form()
    target = _safe_next(form.get("next"))
    client = client_key(request.scope)
    wait = state.limiter.retry_after(client)
    if wait:
        return state.renderer.page(
            request,
            "login.html",
            status_code=429,
            next=target,
            error=f"Too many wrong passwords. Try again in {int(wait) + 1} seconds.",
        )
    password = form.get("password")
    if not isinstance(password, str) or not password_matches(password, state.password):
        state.limiter.failed(client)
        return state.renderer.page(
            request,
            "login.html",
            status_code=401,
            next=target,
            error="Wrong password.",
        )
    state.limiter.succeeded(client)
    request.session.clear()
    request.session.update(
        {"user": "console", "seen": int(state.now().timestamp()), "csrf": new_csrf_token()}
    )
    return see_other(target)


async def logout(request: Request) -> Response:
    request.session.clear()
    return see_other("/login")


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
