"""One revision per file, applied in order by ``orderhub db upgrade``."""
