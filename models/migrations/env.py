"""Alembic environment: one set of migrations for SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

import logging.config
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine, pool, text

import models
from models.base import UTCDateTime
from models.commons import include_object

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.Base.metadata

# Serialises concurrent `migrate` calls (several app/worker processes starting at once).
PG_MIGRATION_LOCK = 0x51_4D_4D_49_47  # "QMMIG"


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("QM_DATABASE_URL")
    if not url:
        from api.core.settings import get_settings

        url = get_settings().database_url
    return url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our TypeDecorators as plain SQLAlchemy types so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations against the database."""
    url = _url()
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode recreates tables; FKs must be off while it copies rows.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            # Session-level lock: it outlives the commit below and the migration transaction.
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        # Close the autobegun transaction (SQLite ignores the PRAGMA inside one) so Alembic's
        # begin_transaction() owns, and commits, the migration transaction.
        connection.commit()
        try:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name != "sqlite":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK})
                connection.commit()
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
