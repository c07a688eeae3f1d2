"""orderhub: marketplace order aggregation worker."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderhub")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
