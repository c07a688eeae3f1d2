"""Kept so ``orderhub.sdk.oauth.RefreshTokenAuth`` still imports: the OAuth flows live in
:mod:`orderhub.sdk.auth`."""

from orderhub.sdk.auth import REAUTHORISE_ERRORS, RefreshTokenAuth

__all__ = ["REAUTHORISE_ERRORS", "RefreshTokenAuth"]
