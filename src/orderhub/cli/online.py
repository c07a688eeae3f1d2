"""``config check --online`` and the store check: one attempt, a short deadline, and a fix
that fits the cause (a name that does not resolve, a refused connection, TLS, a refused
credential) instead of the same advice for everything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from orderhub.config import AccountConfig, AppConfig
from orderhub.sdk import AuthError, ConnectorError
from orderhub.store.db import current_revision, head_revision, make_engine

#: Seconds one online check may take per account.
ONLINE_TIMEOUT = 8.0
#: Seconds a PostgreSQL connection attempt may take.
STORE_TIMEOUT = 5

_DNS = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
        "temporary failure in name resolution", "no address associated", "name resolution",
        "could not translate host name")  # fmt: skip
_REFUSED = ("connection refused", "errno 111", "errno 61", "actively refused")
_TLS = ("ssl", "certificate", "tls")
_TIMEOUT = ("timed out", "timeout")


def _has(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def credential_names(config: AppConfig, account: AccountConfig) -> str:
    """The account's settings read from the environment, as the file names them
    (``consumer_secret (from $MYSHOP_WC_SECRET)``), for a fix. Never their values."""
    accounts = config.raw.get("accounts", [])
    raw: Any = {}
    if account.index is not None and isinstance(accounts, list) and account.index < len(accounts):
        raw = (
            accounts[account.index].get("settings", {})
            if isinstance(accounts[account.index], dict)
            else {}
        )
    names = [
        f"{key[:-4]} (from ${value})"
        for key, value in sorted(raw.items() if isinstance(raw, dict) else [])
        if key.endswith("_env") and isinstance(value, str)
    ]
    return ", ".join(names) or "its credential settings"


def online_fix(
    error: ConnectorError, account: AccountConfig, base_url: str, credentials: str
) -> str:
    """What to do about a failed online check, by cause."""
    text = f"{error.message} {error.__cause__ or ''}"
    where = f"accounts.{account.id}.settings"
    if isinstance(error, AuthError):
        which = "refused" if error.status == 401 else "not allowed"
        return (
            f"The channel {which} the credentials (HTTP {error.status}). Check "
            f"{credentials} in {where}: the values must belong to {base_url}, "
            "be current, and have read access to orders."
        )
    if _has(text, _DNS):
        return (
            f"The host of {base_url} does not resolve: check base_url in {where} for a typo "
            "(and that this machine's DNS works)."
        )
    if _has(text, _REFUSED):
        return (
            f"Nothing accepts connections at {base_url}: is the shop up, and is this its "
            f"address (base_url in {where}, including the port)?"
        )
    if _has(text, _TLS):
        return (
            f"The TLS handshake with {base_url} failed: check that the shop's certificate is "
            "valid for that host name and that base_url uses the right scheme (https://) "
            "and port."
        )
    if _has(text, _TIMEOUT):
        return (
            f"{base_url} did not answer within {ONLINE_TIMEOUT:.0f} s: check the address, "
            "and any firewall or proxy between this machine and the shop."
        )
    return (
        error.fix
        or "See the message above; run `orderhub config check --online` again after fixing it."
    )


@dataclass(frozen=True)
class StoreState:
    """What the store check found: ``ok`` is False when the store cannot be used."""

    ok: bool
    message: str
    fix: str | None = None


def check_store(url: str, source: str) -> StoreState:
    """Connect to the store ``url`` (which comes from ``source``) and read its schema
    revision. A SQLite file that does not exist yet is fine (``db upgrade`` creates it)."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    head = head_revision()
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).expanduser().exists():
            return StoreState(
                True,
                f"store {shown} (from {source}): not created yet",
                "Run `orderhub db upgrade` to create it.",
            )
        engine = make_engine(url)
    else:
        engine = make_engine(url, connect_args={"connect_timeout": STORE_TIMEOUT})
    try:
        current = current_revision(engine)
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return StoreState(
            False,
            f"store {shown} (from {source}) cannot be reached: {reason}",
            _store_fix(reason, parsed.host, parsed.port, source),
        )
    finally:
        engine.dispose()
    if current == head:
        return StoreState(
            True, f"store {shown} (from {source}): reachable, schema current ({head})"
        )
    if current is None:
        return StoreState(
            True,
            f"store {shown} (from {source}): reachable, empty",
            "Run `orderhub db upgrade` to create the schema.",
        )
    return StoreState(
        False,
        f"store {shown} (from {source}): schema at revision {current}, this orderhub needs {head}",
        "Run `orderhub db upgrade` (once per release, before starting the worker).",
    )


def _store_fix(reason: str, host: str | None, port: int | None, source: str) -> str:
    at = f"{host or 'localhost'}:{port or 5432}"
    if _has(reason, _REFUSED):
        return f"Start PostgreSQL at {at}, or correct the host and port in {source}."
    if _has(reason, _DNS):
        return f"The host {host} does not resolve: correct it in {source}."
    if _has(reason, ("password authentication failed", "authentication failed", "no password")):
        return f"The server refused the user or password: correct them in {source}."
    if _has(reason, ("does not exist",)):
        return (
            f"Create the database on {at} (e.g. `createdb orderhub`) or correct its name "
            f"in {source}."
        )
    if _has(reason, _TIMEOUT):
        return f"{at} did not answer within {STORE_TIMEOUT} s: check the address and any firewall."
    if _has(reason, ("unable to open database file", "readonly", "permission")):
        return (
            f"orderhub cannot open that SQLite file: check the path in {source} and its "
            "permissions."
        )
    return f"Check the URL in {source} and that the database server is up."
