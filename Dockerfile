# orderhub worker image: slim Python, non-root, SQLite file on a volume.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY src ./src
COPY connectors ./connectors
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORDERHUB_CONFIG=/etc/orderhub/orderhub.toml \
    ORDERHUB_DATABASE_URL=sqlite:////data/orderhub.db
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin orderhub \
    && mkdir -p /data /etc/orderhub && chown orderhub /data
COPY config/orderhub.example.toml /etc/orderhub/orderhub.example.toml
USER orderhub
WORKDIR /data
VOLUME ["/data"]
# /metrics, /healthz and /readyz when the configuration sets [metrics] port = 9108; the web
# console (with /metrics, /healthz and /readyz) when it sets [web] port = 8080 and
# address = "0.0.0.0", with the password in the variable [web] password_env names.
EXPOSE 9108 8080
# The worker beats into the store every 15 s; health fails when no worker of this host
# beat lately, the store does not answer or its migrations are behind.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["orderhub", "health", "--this-host", "--max-age", "90"]
# SIGTERM stops the worker cleanly (it commits and exits 0 within seconds).
STOPSIGNAL SIGTERM
CMD ["orderhub", "run"]
