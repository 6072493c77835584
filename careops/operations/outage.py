"""When a dependency is down: 503 with the error body, and one clear line instead of a traceback.

A database that does not answer (refused connection, dropped connection, a
SQLite file locked past its timeout) is not a bug of ours: API.md answers it
with 503 ``SERVICE_UNAVAILABLE`` so clients and load balancers retry. A
database that answers but has no CareOps schema yet means the operator has not
run the migrations: the API says so in its 503 and the CLI in one line.
Everything else still reaches the 500 handler.
"""

from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask.cli import AppGroup

log = logging.getLogger(__name__)

UPGRADE_HINT = "run `flask --app wsgi db upgrade` first"


def schema_missing(error: BaseException) -> bool:
    """True when ``error`` says a CareOps table does not exist (migrations not run)."""
    original = getattr(error, "orig", None)
    if original is not None and original.__class__.__name__ == "UndefinedTable":  # PostgreSQL
        return True
    return "no such table" in str(original or error)  # SQLite


def database_unreachable(error: BaseException) -> bool:
    """True when the database did not answer (as opposed to refusing a statement)."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (sa.exc.InterfaceError, sa.exc.DisconnectionError)):
        return True
    if isinstance(error, sa.exc.OperationalError):
        original = getattr(error, "orig", None)
        # psycopg's OperationalError covers refused and dropped connections;
        # SQLite's covers "database is locked" (busy: retrying helps).
        return original is not None and original.__class__.__name__ in ("OperationalError",)
    return False


def handle_database_error(error: sa.exc.SQLAlchemyError):
    from careops.errors import body, discard_uncommitted, handle_unexpected

    if schema_missing(error):
        log.error("database schema missing: %s", UPGRADE_HINT)
        discard_uncommitted()
        return body(503, "SERVICE_UNAVAILABLE", "The database has no CareOps schema yet", headers={"Retry-After": "30"})
    if database_unreachable(error):
        log.error("database unavailable: %s", error.__class__.__name__)
        discard_uncommitted()
        return body(
            503, "SERVICE_UNAVAILABLE", "The database is unavailable; try again shortly", headers={"Retry-After": "5"}
        )
    return handle_unexpected(error)


def init_app(app) -> None:
    app.register_error_handler(sa.exc.OperationalError, handle_database_error)
    app.register_error_handler(sa.exc.InterfaceError, handle_database_error)
    app.register_error_handler(sa.exc.ProgrammingError, handle_database_error)
    app.register_error_handler(sa.exc.DisconnectionError, handle_database_error)


class CommandGroup(AppGroup):
    """``flask careops …``: a database that is missing or unmigrated is one line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sa.exc.SQLAlchemyError as error:
            if schema_missing(error):
                raise click.ClickException(f"The database has no CareOps schema yet: {UPGRADE_HINT}.") from None
            if database_unreachable(error):
                raise click.ClickException(
                    f"The database does not answer ({error.__class__.__name__}): check CAREOPS_DATABASE_URL "
                    "and that the server is running."
                ) from None
            raise
