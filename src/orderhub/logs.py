"""Logging setup: structlog everywhere, one JSON object per line, secrets and buyer PII redacted.

Every event, whether it comes from orderhub (structlog) or from a library (stdlib logging:
apscheduler, alembic, httpx), goes through the same chain::

    merge_contextvars -> add_log_level -> timestamp -> stack info -> format_exc_info
        -> Redactor -> renderer (JSON lines or console)

The :class:`Redactor` runs after exceptions are formatted, so a traceback is free text like
any other and is scrubbed too. What it removes:

* values under keys that name a secret (``authorization``, ``consumer_secret``,
  ``refresh_token``, ...) become ``"***"``, at any depth in dicts and lists;
* values under keys that name buyer PII (``email``, ``phone``, ``first_name``,
  ``shipping``, ``postcode``, ...) become ``"[redacted]"``. City, state and country are
  kept: alone they do not identify a buyer and ops need them to read a shipping problem;
* registered secret values (see :func:`register_secrets`) anywhere inside a string become
  ``"***"``; so do credentials in URL query strings (``?consumer_secret=...``) and in
  ``Bearer``/``Basic`` authorization text;
* e-mail addresses anywhere inside a string become ``"[email]"``.

Phone numbers in free text are deliberately *not* pattern-matched: order ids
(``114-1234567-1234567``), tracking numbers and timestamps look like phone numbers and would
be destroyed. Phones are caught by key (``phone``, ``phone_number``, ``telephone``, ...), and
connectors must not log raw payloads or buyer fields in free text.

Call :func:`configure_logging` once at start-up (the CLI and the worker do), before anything
logs: until then structlog's defaults apply, and they redact nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import IO, Any, TextIO, cast
from uuid import UUID

import structlog
from pydantic import BaseModel
from structlog.typing import EventDict, Processor, WrappedLogger

from orderhub.sdk.secrets import add_secret_sink, looks_secret, secret_forms
from orderhub.secret_scan import SecretMatcher

__all__ = [
    "LEVELS",
    "Redactor",
    "bind_run",
    "configure_logging",
    "get_redactor",
    "logs_above",
    "register_job_accounts",
    "register_secrets",
    "reset_logging",
    "scrub_text",
]

LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMATS = ("auto", "json", "console")

SECRET_MASK = "***"  # noqa: S105 - the mask, not a password
PII_MASK = "[redacted]"
EMAIL_MASK = "[email]"

# Which keys hold secrets is orderhub's one secret policy (orderhub.sdk.secrets.looks_secret).
PII_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "given_name",
        "family_name",
        "buyer_name",
        "customer_name",
        "recipient_name",
        "company",
        "email",
        "phone",
        "telephone",
        "mobile",
        "phone_number",
        "address",
        "address_1",
        "address_2",
        "address_3",
        "address_line1",
        "address_line2",
        "address_line3",
        "line1",
        "line2",
        "line3",
        "street",
        "street1",
        "street2",
        "postcode",
        "postal_code",
        "zip",
        "zip_code",
        "zipcode",
        "billing",
        "shipping",
        "ship_to",
        "buyer",
        "buyer_info",
        "recipient",
        "customer",
        "customer_note",
        "shipping_address",
        "billing_address",
        "default_ship_to_location",
    }
)
PII_SUFFIXES = ("_email", "email_address", "_phone", "_address")

# Structural keys of every event: never redacted by key (their values are still scrubbed
# as free text). "name" is PII, but "connector"/"operation" are how an event is read.
NEVER_REDACT_KEYS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "account",
        "channel",
        "connector",
        "operation",
        "run_id",
        "exception",
        "stack",
        "entry_point",
        "distribution",
    }
)

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Credentials carried in URLs (the WooCommerce query-string fallback) or in header text that
# ended up in a message; caught even when the value was never registered.
QUERY_SECRET_RE = re.compile(
    r"(?i)\b(consumer_key|consumer_secret|access_token|refresh_token|client_secret|api_key"
    r"|apikey|password|token|signature|x-amz-signature|oauth_signature)=([^&\s\"'#]+)"
)
AUTH_HEADER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")

# Registered secrets shorter than this are not scrubbed from free text: replacing a
# two-letter string everywhere would destroy every log line and protect nothing.
MIN_SECRET_LENGTH = 4

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _normalise_key(key: str) -> str:
    return _CAMEL_RE.sub("_", key).lower().replace("-", "_").replace(" ", "_")


class Redactor:
    """A structlog processor that removes secrets and buyer PII from an event.

    Use the global instance (:func:`get_redactor`) that :func:`configure_logging` installs;
    build your own only to test it. Call it as ``redactor(logger, method_name, event_dict)``;
    it returns a new event dict and never mutates the values it was given (they may be the
    caller's own objects).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = SecretMatcher()
        self.add_secrets(secrets)

    # -- secrets --------------------------------------------------------------------------

    def add_secrets(self, values: Iterable[str]) -> None:
        """Scrub these values (and their URL-encoded forms) from every string from now on."""
        self._secrets.add(
            variant
            for value in values
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH
            for variant in secret_forms(value)
        )

    def clear_secrets(self) -> None:
        """Forget every registered secret (tests use this between cases)."""
        self._secrets.clear()

    # -- scrubbing ------------------------------------------------------------------------

    def scrub_text(self, text: str) -> str:
        """Return ``text`` with registered secrets, URL/header credentials and e-mails masked."""
        text = self._secrets.mask(text, SECRET_MASK)
        text = QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}={SECRET_MASK}", text)
        text = AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)} {SECRET_MASK}", text)
        return EMAIL_RE.sub(EMAIL_MASK, text)

    @staticmethod
    def key_mask(key: object) -> str | None:
        """The mask for a value stored under ``key``, or None when the key is harmless."""
        if not isinstance(key, str):
            return None
        if key in NEVER_REDACT_KEYS:
            return None
        norm = _normalise_key(key)
        if norm in NEVER_REDACT_KEYS:
            return None
        # "consumer_secret_env" holds the *name* of a variable, which is safe to show.
        if norm.endswith("_env"):
            return None
        if looks_secret(key):
            return SECRET_MASK
        if norm in PII_KEYS or norm.endswith(PII_SUFFIXES):
            return PII_MASK
        return None

    def redact_value(self, value: Any, _depth: int = 0) -> Any:
        """Return a redacted copy of any value: containers recursed, text scrubbed.

        Objects that are not JSON-like are turned into text first (pydantic models and
        dataclasses into dicts, so their PII fields are masked by key), because the renderer
        would otherwise print their ``repr`` unscrubbed.
        """
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.scrub_text(value)
        if _depth > 20:  # a self-referencing structure: stop, do not recurse forever
            return "[too deep]"
        if isinstance(value, Mapping):
            return self._redact_mapping(value, _depth + 1)
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(item, _depth + 1) for item in value]
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Enum):
            return self.redact_value(value.value, _depth + 1)
        if isinstance(value, Decimal | UUID | PurePath):
            return str(value)
        if isinstance(value, BaseModel):
            return self._redact_mapping(value.model_dump(mode="json"), _depth + 1)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._redact_mapping(
                {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, _depth + 1
            )
        if isinstance(value, BaseException):
            return self.scrub_text(f"{type(value).__name__}: {value}")
        return self.scrub_text(repr(value))

    def _redact_mapping(self, mapping: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, item in mapping.items():
            mask = self.key_mask(key)
            if mask is not None and item is not None and item != "":
                out[key] = mask
            else:
                out[key] = self.redact_value(item, depth)
        return out

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        return self._redact_mapping(event_dict, 0)


_REDACTOR = Redactor()
# Connectors register their secrets with orderhub's secret policy when they are built; the
# global redactor receives them (and those registered before this module was imported).
add_secret_sink(_REDACTOR.add_secrets)


def get_redactor() -> Redactor:
    """The process-wide redactor installed by :func:`configure_logging`."""
    return _REDACTOR


def register_secrets(values: Iterable[str]) -> None:
    """Add secret values to the global redactor.

    Called when an account's settings are built (``orderhub.config.build_settings``), so the
    account's credentials are scrubbed from every later log line, wherever they appear.
    """
    _REDACTOR.add_secrets(values)


def scrub_text(text: str) -> str:
    """Mask registered secrets, credentials and e-mail addresses in ``text``.

    For messages that are stored rather than logged (failure reasons in the store).
    """
    return _REDACTOR.scrub_text(text)


def _order_keys(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Put timestamp, level and event first, so JSON lines read well in a terminal too."""
    ordered: EventDict = {}
    for key in ("timestamp", "level", "event"):
        if key in event_dict:
            ordered[key] = event_dict.pop(key)
    ordered.update(event_dict)
    return ordered


def _is_tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or a stream without isatty
        return False


# --- library messages as orderhub events ---------------------------------------------------

#: APScheduler's messages that matter, as orderhub events: (pattern, event, level). The
#: job's name ("pull shop", "push shop", "catalog shop") gives the account.
SCHEDULER_EVENTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"skipped: maximum number of running instances reached"),
        "worker.run_skipped",
        "info",
    ),
    (re.compile(r"was missed"), "worker.run_missed", "info"),
    (re.compile(r"raised an exception"), "worker.job_error", "error"),
)
#: Every event a library message can become (the runbook test reads this).
LIBRARY_EVENTS = (
    "worker.run_skipped",
    "worker.run_missed",
    "worker.job_error",
    "worker.scheduler_message",
    "worker.library_message",
)
_JOB_RE = re.compile(r'job "(?P<kind>[a-z]+) (?P<account>[a-z0-9][a-z0-9_-]*) \(')
_JOB_ACCOUNTS: dict[str, str] = {}
_MIN_LEVEL = [logging.INFO]


def register_job_accounts(accounts: Mapping[str, str]) -> None:
    """Tell the log mapping which channel each account uses (account id -> connector), so
    a scheduler message about an account's job carries its channel."""
    _JOB_ACCOUNTS.update(accounts)


def _map_library(name: str, text: str, level: str) -> tuple[str, str]:
    """(event, level) of a library's message."""
    if not name.startswith("apscheduler"):
        return "worker.library_message", level
    for pattern, mapped, mapped_level in SCHEDULER_EVENTS:
        if pattern.search(text):
            return mapped, mapped_level
    return "worker.scheduler_message", level


class _LibraryLevelFilter(logging.Filter):
    """Drops library records whose orderhub event is below the configured level (the
    scheduler's WARNING about a skipped run is an info event)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler"):
            _event, level = _map_library(record.name, record.getMessage(), record.levelname.lower())
            return LEVELS.get(level, record.levelno) >= _MIN_LEVEL[0]
        return True


def _library_event(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Rewrite a stdlib record from a library into an orderhub event: a stable ``event``
    name, the library's text under ``message``, and the account and channel when the text
    names a job. Lines below the configured level are dropped."""
    record = event_dict.get("_record")
    if record is None or event_dict.get("_from_structlog"):
        return event_dict
    text = str(event_dict.get("event", ""))
    name = str(event_dict.get("logger", record.name))
    event, level = _map_library(name, text, str(event_dict.get("level", "warning")))
    if name.startswith("apscheduler"):
        job = _JOB_RE.search(text)
        if job is not None:
            account = job.group("account")
            event_dict["account"] = account
            event_dict["job"] = job.group("kind")
            if account in _JOB_ACCOUNTS:
                event_dict["channel"] = _JOB_ACCOUNTS[account]
    if level == "error":
        event_dict.setdefault("error_kind", "internal")
        event_dict.setdefault("fix", "A bug in orderhub or a library: report it with this line.")
    event_dict["event"] = event
    event_dict["level"] = level
    event_dict["message"] = text
    return event_dict


class _LogOutput:
    """The one stream every log line goes through (structlog's and the libraries').

    It forwards to the stream :func:`configure_logging` was given, except inside
    :func:`logs_above`, where whole lines go to a rich console that owns a live display, so
    they print above the display instead of tearing it. Held by the loggers in place of the
    stream itself, so the target can change without reconfiguring anything.
    """

    def __init__(self) -> None:
        self.target: IO[str] = sys.stderr
        self.console: Any = None  # a rich Console while logs_above is active
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        console = self.console
        if console is None:
            return self.target.write(text)
        with self._lock:
            lines = (self._pending + text).split("\n")
            self._pending = lines.pop()
        for line in lines:
            _print_above(console, line)
        return len(text)

    def flush(self) -> None:
        if self.console is None:
            self.target.flush()

    def isatty(self) -> bool:
        return _is_tty(self.target)

    def end_live(self) -> None:
        """Back to the plain stream; a line left unfinished goes to the console first."""
        console, self.console = self.console, None
        pending, self._pending = self._pending, ""
        if console is not None and pending:
            _print_above(console, pending)


def _print_above(console: Any, line: str) -> None:
    from rich.text import Text

    # from_ansi: the console renderer's colours stay colours, and rich measures the line
    # right; soft_wrap: a long line is not folded into rich's width.
    console.print(Text.from_ansi(line), soft_wrap=True, highlight=False)


_OUTPUT = _LogOutput()


@contextmanager
def logs_above(console: Any) -> Iterator[None]:
    """While the block runs, print log lines through ``console`` (a rich Console with a
    live display: ``Progress.console``) above the display, instead of through it.

    Only when the console is a terminal: elsewhere there is no live line to tear, and log
    lines (JSON for machines) must reach their stream byte for byte. On exit, lines go to
    the configured stream again, whatever happened inside.
    """
    if not getattr(console, "is_terminal", False):
        yield
        return
    previous = _OUTPUT.console
    _OUTPUT.console = console
    try:
        yield
    finally:
        _OUTPUT.end_live()
        _OUTPUT.console = previous


class _OrderhubHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the stdlib handler we installed, so reconfiguring replaces it instead of adding."""


# Libraries whose INFO lines would duplicate our own events (we log one http.request event
# per request ourselves).
_QUIET_LIBRARIES = ("httpx", "httpcore")


def configure_logging(
    *,
    level: str = "info",
    fmt: str = "auto",
    stream: IO[str] | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Set up structlog and stdlib logging for the whole process. Safe to call again.

    ``level`` is one of debug, info, warning, error. ``fmt`` is ``json`` (one JSON object per
    line with ``timestamp`` (ISO 8601, UTC), ``level``, ``event`` and the event's fields),
    ``console`` (human-readable; colours only on a terminal) or ``auto`` (console on a
    terminal, JSON otherwise). ``stream`` defaults to standard error. ``secrets`` are
    registered with :func:`register_secrets`.

    Library logs (stdlib ``logging``: apscheduler, alembic, ...) are rendered by the same
    chain, at WARNING and above (at DEBUG too when ``level`` is debug). httpx and httpcore
    stay at WARNING always: orderhub logs every request itself.

    Raises ValueError for an unknown level or format.
    """
    level_name = level.lower()
    if level_name not in LEVELS:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: use one of {', '.join(FORMATS)}")
    out: IO[str] = stream if stream is not None else sys.stderr
    _OUTPUT.target = out
    register_secrets(secrets)
    _MIN_LEVEL[0] = LEVELS[level_name]

    tty = _is_tty(out)
    as_json = fmt == "json" or (fmt == "auto" and not tty)
    renderer: Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=tty)

    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp")
    # format_exc_info runs before the redactor: a traceback becomes a string, which the
    # redactor scrubs. (Left as exc_info, the console renderer would format it after the
    # redactor, with local variables shown by rich.)
    tail: list[Processor] = [
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _REDACTOR,
    ]
    if as_json:
        tail.append(_order_keys)
    tail.append(renderer)

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            *tail,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level_name]),
        logger_factory=structlog.WriteLoggerFactory(file=cast(TextIO, _OUTPUT)),
        # Not cached: loggers created at import time must follow a later reconfiguration.
        cache_logger_on_first_use=False,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            timestamper,
            _library_event,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = _OrderhubHandler(cast(TextIO, _OUTPUT))
    handler.setFormatter(formatter)
    handler.addFilter(_LibraryLevelFilter())

    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _OrderhubHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if level_name == "debug" else logging.WARNING)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def reset_logging() -> None:
    """Undo :func:`configure_logging`: structlog defaults, our stdlib handler removed.

    Registered secrets are kept (forgetting them is never what production wants); tests call
    ``get_redactor().clear_secrets()`` themselves.
    """
    structlog.reset_defaults()
    # Let go of the stream we were given (a test runner's, closed once the command ends).
    _OUTPUT.end_live()
    _OUTPUT.target = sys.stderr
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _OrderhubHandler):
            root.removeHandler(existing)
    root.setLevel(logging.WARNING)


@contextmanager
def bind_run(**kw: Any) -> Iterator[None]:
    """Bind ``account``, ``channel``, ``run_id`` (or any fields) to every event logged inside.

    Uses structlog's contextvars, so it holds for the current thread or task only and is
    undone on exit, even when the block raises. None values are not bound.
    """
    fields = {key: value for key, value in kw.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**fields):
        yield
