"""Shared CLI plumbing: loading configuration once, opening the store, and turning every
user mistake into one clear message with a fix and a non-zero exit, never a traceback."""

from __future__ import annotations

import csv
import inspect
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError, StatementError

from orderhub.config import (
    DATABASE_URL_ENV,
    AppConfig,
    ConfigError,
    human_duration,
    load_config,
    resolve_database_url,
)
from orderhub.logs import configure_logging
from orderhub.registry import ConnectorLoadError
from orderhub.store.db import SchemaOutOfDateError, ensure_current, make_engine, upgrade

console = Console()
errors = Console(stderr=True)


def fit_consoles() -> None:
    """Size the consoles for this command: when output is piped (logs, CI, ``| less``)
    tables get 160 columns (or ``$COLUMNS``) instead of rich's 80, so they stay readable.

    Read at every command, not once at import, so a process that runs several commands
    (the tests, a program embedding the CLI) follows ``$COLUMNS`` as it is for each."""
    width = os.environ.get("COLUMNS", "")
    for target in (console, errors):
        if not target.is_terminal:
            target.width = int(width) if width.isdecimal() else 160


class CliError(Exception):
    """A problem to show the user: ``message`` then ``Fix: ...``; exit with ``code``."""

    def __init__(self, message: str, fix: str | None = None, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


def fail(message: str, fix: str | None = None, code: int = 1) -> NoReturn:
    raise CliError(message, fix, code)


@dataclass
class CliState:
    config_path: Path | None = None
    database_url: str | None = None
    #: Where ``database_url`` came from: "--database-url" or the environment variable.
    database_url_source: str = DATABASE_URL_ENV
    log_level: str | None = None
    log_format: str | None = None
    _config: AppConfig | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def config(
        self, *, require_file: bool = False, worker: bool = False, deep: bool = False
    ) -> AppConfig:
        """The configuration, loaded once. ``worker`` defers an account's missing secret to
        that account (the worker flags it and runs the others) instead of refusing the file."""
        if self._config is None:
            self._config = load_config(
                self.config_path,
                require_file=require_file,
                defer_missing_secrets=worker,
                deep=deep,
            )
        return self._config

    def url(self) -> str:
        """The store's URL. Reading the store needs no channel credentials, so an account
        whose secret variable is unset does not stop commands that only use the store."""
        if self.database_url:
            # Problems name what the user set: the flag or the variable, not a file's key.
            return resolve_database_url(
                None,
                {DATABASE_URL_ENV: self.database_url},
                env_name=self.database_url_source,
            )
        return self.config(worker=True).database_url

    def url_source(self) -> str:
        """Where the store's URL comes from, for messages: the flag, the variable, the
        file's key, or the default."""
        if self.database_url:
            return self.database_url_source
        config = self.config(worker=True)
        if config.database_url_key == DATABASE_URL_ENV:
            return DATABASE_URL_ENV
        if config.database_url_key:
            return f"{config.database_url_key} in {config.file}"
        return "the default, as nothing sets --database-url, ORDERHUB_DATABASE_URL or database_url"

    def engine(self, *, migrate: bool = False) -> Engine:
        """The store's engine. ``migrate`` applies pending migrations on SQLite (a file
        the worker owns); PostgreSQL is migrated explicitly with ``orderhub db upgrade``."""
        if self._engine is None:
            url = self.url()
            if not migrate:
                _refuse_missing_sqlite_file(url)
            engine = make_engine(url)
            if migrate and engine.dialect.name == "sqlite":
                upgrade(engine)
            ensure_current(engine)
            self._engine = engine
        return self._engine

    def close(self) -> None:
        """Release the engine's pooled connections (called when the command ends)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def setup_logging(self, *, stdout: bool = False) -> None:
        config = self.config()
        configure_logging(
            level=self.log_level or config.log_level,
            fmt=self.log_format or config.log_format,
            stream=sys.stdout if stdout else sys.stderr,
        )


def _refuse_missing_sqlite_file(url: str) -> None:
    """A read command on a SQLite file that does not exist yet: say so, rather than create
    an empty database as a side effect."""
    parsed = make_url(url)
    database = parsed.database or ""
    if (
        parsed.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).expanduser().exists()
    ):
        fail(
            f"there is no order store at {database} yet.",
            "Run `orderhub db upgrade` (or `orderhub demo`, or `orderhub sync ACCOUNT`) in "
            "this directory, or point --database-url / ORDERHUB_DATABASE_URL at your store.",
        )


def docstring_text(doc: str) -> str:
    """A reStructuredText docstring as plain text for a terminal: literal quotes
    (````x````) dropped, a simple table's ``====`` rules turned into one line under its
    header, so the columns stay aligned."""
    lines = inspect.cleandoc(doc).splitlines()
    rule = re.compile(r"^=+( +=+)*$")
    out: list[str] = []
    rules = 0
    for line in lines:
        if rule.match(line.strip()):
            rules += 1
            if rules == 2:  # the rule under a table's header row
                out.append(line.replace("=", "-"))
            continue
        out.append(re.sub(r"``([^`]+)``", r"\1", line).rstrip())
    return "\n".join(out)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # pragma: no cover - set by the root callback
        raise RuntimeError("CLI state missing")
    return obj


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


@contextmanager
def user_errors(ctx_state: CliState | None = None) -> Iterator[None]:
    """Turn known failures into a message, a fix and an exit code."""
    try:
        yield
    except CliError as exc:
        _print_error(exc.message, exc.fix)
        raise typer.Exit(exc.code) from None
    except ConfigError as exc:
        errors.print("[bold red]Configuration problem[/]", highlight=False)
        for problem in exc.problems:
            errors.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    except ConnectorLoadError as exc:
        _print_error(str(exc), None)
        raise typer.Exit(2) from None
    except SchemaOutOfDateError as exc:
        _print_error(str(exc), None)
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        where = safe_url(ctx_state.url()) if ctx_state else "the database"
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        source = _quiet_source(ctx_state)
        _print_error(
            f"The database at {where} cannot be used: {reason}",
            f"Check the store URL (it comes from {source}), that the server is up, "
            "and run `orderhub db upgrade`.",
        )
        raise typer.Exit(1) from None
    except (OverflowError, DataError, StatementError, csv.Error) as exc:
        # A value beyond what the store or Python holds (an id of 20 digits, a date before
        # year 1 in UTC, a CSV field over 128 KiB). The transaction it was in rolled back.
        origin = exc.orig if isinstance(exc, StatementError) and exc.orig else exc
        reason = str(origin).strip().splitlines()[0] if str(origin).strip() else ""
        _print_error(
            f"A value given is out of range and nothing was changed ({reason[:200]}).",
            "Use ids and quantities below 2147483647, dates between the years 1 and 9999 "
            "(in UTC), and CSV fields under 128 KiB.",
        )
        raise typer.Exit(2) from None


def _quiet_source(ctx_state: CliState | None) -> str:
    if ctx_state is None:
        return "--database-url, ORDERHUB_DATABASE_URL or [orderhub] database_url"
    try:
        return ctx_state.url_source()
    except (ConfigError, CliError):
        return "--database-url, ORDERHUB_DATABASE_URL or [orderhub] database_url"


def _print_error(message: str, fix: str | None) -> None:
    # Messages quote user input and channel answers: "[/x]" in them is text, not markup
    # (rich would drop it or raise MarkupError).
    errors.print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    if fix:
        errors.print(f"[bold]Fix:[/] {escape(fix)}", highlight=False)


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """'3m ago'-style text; '-' for never."""
    if moment is None:
        return "-"
    delta = (now or datetime.now(UTC)) - moment
    return f"{human_duration(delta)} ago"


def parse_when(value: str) -> datetime:
    """An ISO date or date-time from the command line; naive values are UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"{value!r} is not a date.",
            "Use ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00Z.",
            code=2,
        )
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:
        fail(
            f"{value!r} is outside the years 1 to 9999 once converted to UTC.",
            "Give a date between 0001-01-02 and 9999-12-30.",
            code=2,
        )
