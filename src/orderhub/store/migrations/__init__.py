"""Alembic migrations that own the order store's schema."""
