"""Alembic environment: orderhub runs migrations on an engine it hands over in
``config.attributes["engine"]`` (see ``orderhub.store.db.upgrade``)."""

from __future__ import annotations

from alembic import context

from orderhub.store.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - orderhub always passes its engine
    raise RuntimeError("run migrations through `orderhub db upgrade`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
