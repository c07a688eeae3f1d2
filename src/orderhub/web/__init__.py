"""The web console: the seller's and the ops person's page on the store.

Server-rendered HTML (Starlette + Jinja2, htmx for partial updates), served by uvicorn
alone (``orderhub web``) or inside the worker (``orderhub run`` with ``[web] port``), on one
port with ``/metrics``, ``/healthz`` and ``/readyz``. Every action calls the same function
its CLI command calls. Importing this package loads no web library: ``settings`` is read
by the configuration loader.
"""
