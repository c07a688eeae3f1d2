"""Checking the web addresses a seller puts in an account's settings.

Credentials travel with every request, so an address must be ``https://``; plain
``http://`` is accepted only for this machine (a simulator, a local proxy). Channels whose
API lives under a fixed path of the seller's own host (WooCommerce's ``/wp-json/wc/v3``)
accept the host alone or the full API root with :func:`api_root`. Use them in the settings
model's field validators: the ValueError they raise becomes the config check's message.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

__all__ = ["LOCAL_HOSTS", "api_root", "https_url"]

#: Hosts plain ``http://`` is accepted for.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_INVALID = "must be an https:// URL"
_PLAIN_HTTP = "must use https:// (plain http:// only for localhost)"


def _checked(value: str, invalid: str, plain_http: str) -> SplitResult:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(invalid)
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(plain_http)
    return parts


def https_url(value: str, *, invalid: str = _INVALID, plain_http: str = _PLAIN_HTTP) -> str:
    """``value`` without surrounding white space, when it is an ``https://`` URL (or
    ``http://`` to :data:`LOCAL_HOSTS`). Raises ValueError with ``invalid`` for anything
    that is not a web address, or with ``plain_http`` for clear text to another host."""
    _checked(value, invalid, plain_http)
    return value.strip()


def api_root(
    value: str, api_path: str, *, invalid: str = _INVALID, plain_http: str = _PLAIN_HTTP
) -> str:
    """The API root for ``value``, checked as :func:`https_url` does: ``api_path`` is added
    to the address's path unless it already ends with it, and the result ends with ``/``
    (so relative request paths join under it). Query and fragment are dropped.

    ``api_root("https://shop.example.com/", "/wp-json/wc/v3")`` and
    ``api_root("https://shop.example.com/wp-json/wc/v3", "/wp-json/wc/v3")`` are both
    ``"https://shop.example.com/wp-json/wc/v3/"``.
    """
    parts = _checked(value, invalid, plain_http)
    suffix = "/" + api_path.strip("/") if api_path.strip("/") else ""
    path = parts.path.rstrip("/")
    if not path.endswith(suffix):
        path += suffix
    return f"{parts.scheme}://{parts.netloc}{path}/"
