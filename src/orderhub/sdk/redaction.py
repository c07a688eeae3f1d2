"""URLs safe to log: secrets taken out of the user-info, the path and the query.

The HTTP client logs every request's URL through :func:`redact_url`; paginators and
connectors use it for next-page URLs they put in messages. Which names and values count as
secret is decided by :mod:`orderhub.sdk.secrets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote_plus, urlsplit

from orderhub.sdk.secrets import REDACTED, looks_secret, scrub

__all__ = ["redact_url"]


def _holds_secret(raw: str, secrets: Sequence[str]) -> bool:
    decoded = unquote_plus(raw)
    return any(secret and (secret in raw or secret in decoded) for secret in secrets)


def redact_url(url: str, secrets: Sequence[str]) -> str:
    """A URL safe to log: secrets removed, structure kept.

    - the user-info part of the host (``user:password@``) is dropped;
    - the value of every query parameter whose name looks secret (:func:`looks_secret`) is
      replaced by ``***``;
    - every path segment or query value that contains one of ``secrets`` (in any encoding)
      is replaced by ``***``;
    - the fragment is dropped.

    Works on absolute URLs and on path-plus-query strings alike. Never raises.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        # Not parseable as a URL: fall back to plain scrubbing of what we were given.
        return scrub(url.split("#", 1)[0], secrets)
    origin = ""
    if parts.scheme and host:
        shown_host = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{shown_host}" + (f":{port}" if port is not None else "")
    segments = [
        REDACTED if segment and _holds_secret(segment, secrets) else segment
        for segment in parts.path.split("/")
    ]
    path = "/".join(segments)
    pairs: list[str] = []
    if parts.query:
        for pair in parts.query.split("&"):
            name, sep, value = pair.partition("=")
            if (sep and looks_secret(unquote_plus(name))) or _holds_secret(value, secrets):
                pairs.append(f"{name}={REDACTED}")
            else:
                pairs.append(pair)
    query = ("?" + "&".join(pairs)) if pairs else ""
    return scrub(origin + path + query, secrets)
