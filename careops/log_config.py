"""Structured logs (structlog): every line of a request carries its request id.

The request id is bound in :mod:`careops.http` with structlog's contextvars;
standard-library loggers (Flask, Huey, SQLAlchemy) go through the same
formatter, so their lines carry it too.
"""

import logging
import sys

import structlog

_configured = False


def init_app(app):
    global _configured
    level = getattr(logging, str(app.config["CAREOPS_LOG_LEVEL"]).upper(), logging.INFO)
    if _configured:
        logging.getLogger().setLevel(level)
        return
    _configured = True
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if app.config["CAREOPS_LOG_JSON"]
        # Plain tracebacks whatever is installed: rich (a test tool's dependency)
        # would otherwise draw boxes with source lines into the log.
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=shared + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared, processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Dependencies' start-up chatter (alembic lists its plugins at INFO on import);
    # migrations/env.py lets "Running upgrade …" through when a migration runs.
    logging.getLogger("alembic").setLevel(logging.WARNING)
