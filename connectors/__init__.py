"""orderhub's first-party connectors, installed as ``orderhub_connectors.<name>``."""
