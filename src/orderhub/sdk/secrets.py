"""orderhub's one secret policy: which names hold credentials, which forms of a secret
value must never be shown, and where the values of built connectors are registered.

Used by the HTTP client (query parameters and messages), the log redactor (event keys and
free text), configuration (secrets refused in the file) and the test kit (settings that
must be ``SecretStr``), so the four agree on what is secret.

A value is registered when a connector is built (:meth:`Connector.__init__` calls
:func:`register_secrets` with its settings' secrets and its auth flow's wire forms), not
while configuration is validated: an account that is only checked leaves nothing behind.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

__all__ = [
    "REDACTED",
    "add_secret_sink",
    "looks_secret",
    "name_words",
    "paused_registration",
    "register_secrets",
    "registered_secrets",
    "scrub",
    "secret_forms",
]

REDACTED = "***"
#: Values shorter than this are not scrubbed from free text: masking a two-letter string
#: everywhere would destroy every message and protect nothing.
MIN_SECRET_LENGTH = 4

# Words that make a name secret. Compared word by word (camelCase, "-", "_", "." and spaces
# split words), so "keyword" or "monkey" stay readable while "consumer_key", "accessToken"
# and "X-Amz-Signature" are hidden.
SECRET_WORDS = frozenset(
    {
        "apikey",
        "auth",
        "authorization",
        "cookie",
        "credential",
        "credentials",
        "key",
        "passwd",
        "password",
        "pat",
        "pwd",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
# Paging cursors are named like tokens but are not credentials, and seeing them is what
# makes a pagination problem debuggable ("paginationToken", "NextToken", "page_token").
CURSOR_WORDS = frozenset({"continuation", "cursor", "next", "page", "pagination"})
# A last word that makes the name describe a credential rather than hold one: where it is
# sent, in which variable it is, when it expires ("token_url", "auth_header",
# "consumer_secret_env", "refresh_token_expires_on", "access_key_id").
DESCRIPTOR_WORDS = frozenset(
    {
        "at",
        "date",
        "endpoint",
        "env",
        "expires",
        "header",
        "host",
        "id",
        "in",
        "name",
        "on",
        "path",
        "prefix",
        "query",
        "type",
        "uri",
        "url",
    }
)

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def name_words(name: str) -> list[str]:
    """The lower-case words of a name (``"X-Amz-Access-Token"`` → x, amz, access, token)."""
    spaced = _CAMEL.sub(r"\1 \2", name)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def looks_secret(name: str) -> bool:
    """True when a setting, query parameter, header or log key ``name`` holds a credential.

    ``consumer_key``, ``client_secret``, ``refresh_token``, ``Authorization``,
    ``x-amz-access-token``, ``X-Amz-Signature``, ``apiKey`` are secret; paging cursors
    (``paginationToken``, ``NextToken``) and names about a credential (``token_url``,
    ``consumer_secret_env``, ``refresh_token_expires_on``) are not.
    """
    words = name_words(name)
    if not words or words[-1] in DESCRIPTOR_WORDS:
        return False
    if set(words) & CURSOR_WORDS:
        return False
    return bool(set(words) & SECRET_WORDS)


def secret_forms(value: str) -> list[str]:
    """Every form in which ``value`` could leave orderhub: as it is, percent-encoded (path,
    form and query styles), base64 (standard and URL-safe, as in tokens and Basic headers)
    and JSON-escaped. Empty for values too short to scrub safely."""
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return []
    raw = value.encode()
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        quote(value),
        base64.b64encode(raw).decode("ascii"),
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        json.dumps(value)[1:-1],
    }
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every form (:func:`secret_forms`) of every secret replaced by ``***``.

    Longer forms first, so a secret that contains another is replaced whole.
    """
    forms = {form for secret in secrets if secret for form in secret_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, REDACTED)
    return text


# -- registration ------------------------------------------------------------------------

_lock = threading.Lock()
_registered: set[str] = set()
_sinks: list[Callable[[Iterable[str]], None]] = []
_paused = threading.local()


def register_secrets(values: Iterable[str]) -> None:
    """Register secret values of a built connector with every sink (the log redactor).

    Called by :class:`~orderhub.sdk.Connector` itself; a connector author does not call it.
    """
    fresh = [value for value in values if isinstance(value, str) and value]
    if not fresh or getattr(_paused, "on", False):
        return
    with _lock:
        _registered.update(fresh)
        sinks = list(_sinks)
    for sink in sinks:
        sink(fresh)


def registered_secrets() -> frozenset[str]:
    """Every value registered so far in this process."""
    with _lock:
        return frozenset(_registered)


def add_secret_sink(sink: Callable[[Iterable[str]], None]) -> None:
    """Send every registered value, earlier and later ones, to ``sink`` (the log
    redactor's ``add_secrets``)."""
    with _lock:
        _sinks.append(sink)
        earlier = list(_registered)
    if earlier:
        sink(earlier)


@contextmanager
def paused_registration() -> Iterator[None]:
    """Within the block (in this thread) connectors register nothing: the test kit's log
    scan must see what the connector and the framework emit without the redactor's help."""
    before = getattr(_paused, "on", False)
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = before
