"""Alerts: the health model's problems, told to people once (and once more when resolved)."""
