"""Package layout for setuptools.

First-party connectors live in ``connectors/<name>/`` at the top of the repository but are
installed as ``orderhub_connectors.<name>``, so that installing orderhub never claims a
generic top-level import name such as ``connectors`` or ``woocommerce``.  The mapping works
for ``pip install .`` and for editable installs alike (setuptools' editable finder honours
``package_dir``).  Connector tests stay in the repository and are not shipped.
"""

from setuptools import find_packages, setup

connector_packages = [
    f"orderhub_connectors.{name}"
    for name in find_packages("connectors", exclude=["tests", "*.tests", "*.tests.*"])
]

setup(
    packages=[*find_packages("src"), "orderhub_connectors", *connector_packages],
    package_dir={"": "src", "orderhub_connectors": "connectors"},
)
