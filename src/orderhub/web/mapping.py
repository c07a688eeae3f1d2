"""Awaiting mapping: each channel SKU no catalog SKU matched, with its orders and the
catalog's suggestions; map it to a suggestion, a typed catalog SKU or a bundle.

The preview and the mapping itself both run :func:`orderhub.matching.release.map_sku`,
the function behind ``orderhub skus map`` (the preview in a savepoint it rolls back), so
the orders listed before confirming are exactly the ones the mapping releases, under the
same rules and with the same history (actor ``web``).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.matching import (
    InputRejected,
    MappingRequest,
    MatchingError,
    describe_components,
    describe_scope,
    scope_of,
    unmapped,
)
from orderhub.matching.release import map_sku
from orderhub.web.context import console
from orderhub.web.rendering import clean_text, flash, is_htmx, see_other

ACTOR = "web"
_SCOPES = ("account", "channel", "global")


def _text(form: FormData, key: str, limit: int = 128) -> str:
    return clean_text(form.get(key), limit)


def _components(text: str) -> tuple[tuple[str, int], ...]:
    parts: list[tuple[str, int]] = []
    for raw in text.replace(",", "\n").splitlines():
        item = raw.strip()
        if not item:
            continue
        sku, sep, quantity = item.rpartition("=")
        if not sep:
            sku, quantity = item, "1"
        if not quantity.strip().isdecimal():
            raise MatchingError(
                f"component {item!r}: {quantity.strip()!r} is not a whole number.",
                "Write one component per line as SKU=QUANTITY, e.g. COASTER=2.",
            )
        parts.append((sku.strip(), int(quantity.strip())))
    return tuple(parts)


def mapping_request(form: FormData) -> MappingRequest:
    """The mapping a form asks for: a bundle's components, else a typed catalog SKU, else
    the picked suggestion; scoped to the account (the default), the channel, or global."""
    ext = _text(form, "ext")
    if not ext:
        raise MatchingError("no channel SKU given.", "Use a form on the Awaiting mapping page.")
    quantity_text = _text(form, "qty") or "1"
    if not quantity_text.isdecimal():
        raise MatchingError(
            f"quantity {quantity_text!r} is not a whole number.",
            "Give how many units of the catalog SKU one unit of the channel SKU holds (1, 3...).",
        )
    components = _components(clean_text(form.get("components"), 4000, lines=True))
    if not components:
        target = _text(form, "typed") or _text(form, "target")
        if not target:
            raise MatchingError(
                "no catalog SKU chosen.",
                "Pick a suggestion, type a catalog SKU, or list a bundle's components.",
            )
        components = ((target, int(quantity_text)),)
    scope = _text(form, "scope") or "account"
    if scope not in _SCOPES:
        scope = "account"
    return MappingRequest(
        external_sku=ext,
        components=components,
        account_id=(_text(form, "account_id") or None) if scope == "account" else None,
        channel=(_text(form, "channel") or None) if scope == "channel" else None,
    )


def _refusal(exc: MatchingError) -> dict[str, Any]:
    problems = [str(problem) for problem in exc.problems] if isinstance(exc, InputRejected) else []
    return {"message": exc.message, "fix": exc.fix, "problems": problems}


def mapping_page(request: Request) -> Response:
    state = console(request)
    account = clean_text(request.query_params.get("account"), 64) or None
    with state.engine.connect() as connection:
        groups = unmapped(connection, account=account, suggestions=3)
    return state.renderer.page(
        request, "mapping.html", active="mapping", groups=groups[:200], total=len(groups)
    )


async def _form(request: Request) -> FormData:
    return await request.form()


def _run(request: Request, form: FormData, *, dry_run: bool) -> dict[str, Any]:
    state = console(request)
    try:
        mapping = mapping_request(form)
    except MatchingError as exc:
        return {"error": _refusal(exc), "form": dict(form)}
    try:
        with state.engine.begin() as connection:
            outcome = map_sku(
                connection,
                mapping,
                actor=ACTOR,
                now=state.now(),
                config=state.config.matching,
                dry_run=dry_run,
            )
    except MatchingError as exc:
        return {"error": _refusal(exc), "form": dict(form), "mapping": mapping}
    return {
        "error": None,
        "form": dict(form),
        "mapping": mapping,
        "scope": describe_scope(scope_of(mapping.account_id, mapping.channel)),
        "target": describe_components(mapping.components),
        "outcome": outcome,
    }


async def preview(request: Request) -> Response:
    state = console(request)
    form = await _form(request)
    result = await run_in_threadpool(_run, request, form, dry_run=True)
    template = "mapping_preview.html" if is_htmx(request) else "mapping_preview_page.html"
    status = 200 if result["error"] is None else 422
    return state.renderer.page(request, template, status_code=status, active="mapping", **result)


async def apply(request: Request) -> Response:
    state = console(request)
    form = await _form(request)
    result = await run_in_threadpool(_run, request, form, dry_run=False)
    if result["error"] is not None:
        return state.renderer.page(
            request, "mapping_preview_page.html", status_code=422, active="mapping", **result
        )
    outcome = result["outcome"]
    released = ", ".join(order.reference for order in outcome.released[:10])
    more = f" and {len(outcome.released) - 10} more" if len(outcome.released) > 10 else ""
    text = f"Mapped {result['mapping'].external_sku} ({result['scope']}) to {result['target']}."
    text += (
        f" Released {len(outcome.released)} order(s): {released}{more}."
        if outcome.released
        else " No waiting order was released."
    )
    flash(request, "ok", text)
    return see_other("/mapping")


def routes() -> list[Route]:
    return [
        Route("/mapping", mapping_page),
        Route("/mapping/preview", preview, methods=["POST"]),
        Route("/mapping/apply", apply, methods=["POST"]),
    ]
