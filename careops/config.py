"""Configuration: defaults, ``CAREOPS_*`` environment variables, ``instance/careops.cfg``.

Precedence, lowest first: the defaults below, ``instance/careops.cfg`` (a Python
file of ``UPPER_CASE = value`` lines), the environment, then the mapping given
to ``create_app(config)``. The defaults need nothing installed: a SQLite file
and a SQLite task queue in the instance folder, console email.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

#: Environment variables read by CareOps, with the config key each one sets.
ENVIRONMENT = {
    "CAREOPS_ENV": "CAREOPS_ENV",
    "CAREOPS_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "CAREOPS_TASK_QUEUE": "CAREOPS_TASK_QUEUE",
    "CAREOPS_REDIS_URL": "CAREOPS_REDIS_URL",
    "CAREOPS_SECRET_KEY": "SECRET_KEY",
    "CAREOPS_RATELIMIT_PUBLIC": "CAREOPS_RATELIMIT_PUBLIC",
    "CAREOPS_RATELIMIT_LOGIN": "CAREOPS_RATELIMIT_LOGIN",
    "CAREOPS_RATELIMIT_STORAGE_URI": "CAREOPS_RATELIMIT_STORAGE_URI",
    "CAREOPS_CORS_ORIGINS": "CAREOPS_CORS_ORIGINS",
    "CAREOPS_ACCESS_TOKEN_MINUTES": "CAREOPS_ACCESS_TOKEN_MINUTES",
    "CAREOPS_REFRESH_TOKEN_DAYS": "CAREOPS_REFRESH_TOKEN_DAYS",
    "CAREOPS_PUBLIC_URL": "CAREOPS_PUBLIC_URL",
    "CAREOPS_LOG_LEVEL": "CAREOPS_LOG_LEVEL",
    "CAREOPS_LOG_JSON": "CAREOPS_LOG_JSON",
    "CAREOPS_MAX_BODY_BYTES": "MAX_CONTENT_LENGTH",
    "CAREOPS_TRUSTED_PROXIES": "CAREOPS_TRUSTED_PROXIES",
    "CAREOPS_REGISTRATION": "CAREOPS_REGISTRATION",
    "CAREOPS_REGISTRATION_CODE": "CAREOPS_REGISTRATION_CODE",
    "CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL": "CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL",
    "CAREOPS_WORKER_METRICS_PORT": "CAREOPS_WORKER_METRICS_PORT",
    "CAREOPS_DISABLED_PLUGINS": "CAREOPS_DISABLED_PLUGINS",
    "CAREOPS_BOOKING_LOCK_TIMEOUT_MS": "CAREOPS_BOOKING_LOCK_TIMEOUT_MS",
    "CAREOPS_WEBHOOKS_ALLOW_PRIVATE": "CAREOPS_WEBHOOKS_ALLOW_PRIVATE",
    # Messaging: read (and converted) where they are used, see docs/messaging.md.
    "CAREOPS_MESSAGE_MAX_ATTEMPTS": "CAREOPS_MESSAGE_MAX_ATTEMPTS",
    "CAREOPS_MESSAGE_LEASE_SECONDS": "CAREOPS_MESSAGE_LEASE_SECONDS",
    "CAREOPS_MESSAGE_RETRY_BASE_SECONDS": "CAREOPS_MESSAGE_RETRY_BASE_SECONDS",
    "CAREOPS_MESSAGE_RETRY_MAX_SECONDS": "CAREOPS_MESSAGE_RETRY_MAX_SECONDS",
    "CAREOPS_BREAKER_THRESHOLD": "CAREOPS_BREAKER_THRESHOLD",
    "CAREOPS_BREAKER_COOLDOWN_SECONDS": "CAREOPS_BREAKER_COOLDOWN_SECONDS",
}


def defaults(instance_path: str) -> dict:
    """The configuration of the embedded default, rooted in ``instance_path``."""
    return {
        "CAREOPS_ENV": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'careops.db'}",
        "CAREOPS_TASK_QUEUE": f"sqlite:///{Path(instance_path) / 'tasks.db'}",
        "CAREOPS_REDIS_URL": None,
        "SECRET_KEY": None,
        "CAREOPS_RATELIMIT_PUBLIC": "30/minute",
        "CAREOPS_RATELIMIT_LOGIN": "10/minute",
        "CAREOPS_RATELIMIT_ENABLED": True,
        "CAREOPS_CORS_ORIGINS": "",
        #: How many reverse proxies (load balancers) stand in front of the app.
        "CAREOPS_TRUSTED_PROXIES": 0,
        "CAREOPS_ACCESS_TOKEN_MINUTES": 15,
        "CAREOPS_REFRESH_TOKEN_DAYS": 14,
        "CAREOPS_PUBLIC_URL": "http://127.0.0.1:8000",
        "CAREOPS_LOG_LEVEL": "INFO",
        "CAREOPS_LOG_JSON": None,  # unset: JSON in production, readable lines in development
        "CAREOPS_LOAD_ENTRYPOINT_PLUGINS": True,
        #: PostgreSQL: how long a booking waits for its resources' lock before answering 503.
        "CAREOPS_BOOKING_LOCK_TIMEOUT_MS": 10000,
        #: Comma-separated plugin names (entry point or distribution) not to load.
        "CAREOPS_DISABLED_PLUGINS": "",
        #: Who may create a workspace through POST /auth/register: ``open``,
        #: ``invite`` (with CAREOPS_REGISTRATION_CODE) or ``closed``. Unset: open in
        #: development, closed in production (the first owner comes from
        #: ``flask careops create-owner``).
        "CAREOPS_REGISTRATION": None,
        "CAREOPS_REGISTRATION_CODE": None,
        #: Production refuses a loopback CAREOPS_PUBLIC_URL (every customer link
        #: would point at the customer's own machine) unless this is set.
        "CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL": False,
        #: Let webhook URLs reach loopback, private and link-local hosts (a test box, an intranet receiver).
        "CAREOPS_WEBHOOKS_ALLOW_PRIVATE": False,
        #: The task consumer serves its own /metrics on this port (0: off).
        "CAREOPS_WORKER_METRICS_PORT": 0,
        # flask-smorest / OpenAPI
        "API_TITLE": "CareOps",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Swagger UI would send the document to an outside validator for non-local hosts.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "API_SPEC_OPTIONS": {
            # Paths in the document are absolute (/api/v1/…, /healthz): the server is the site root.
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
        "PAGINATION_PAGE_SIZE": 20,
        "PAGINATION_MAX_PAGE_SIZE": 100,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "JSON_SORT_KEYS": False,
        # No endpoint takes more; a larger body is refused (413) before it is read.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }


def load(app, overrides: dict | None) -> None:
    """Fill ``app.config`` from the defaults, the instance file, the environment and ``overrides``."""
    app.config.update(defaults(app.instance_path))
    # An absolute path: Flask would read a relative one from the package unless instance_relative_config.
    app.config.from_pyfile(str(Path(app.instance_path) / "careops.cfg"), silent=True)
    # The file may use the environment's names (CAREOPS_DATABASE_URL = "…") too.
    for variable, key in ENVIRONMENT.items():
        if variable != key and variable in app.config:
            app.config[key] = app.config.pop(variable)
    for variable, key in ENVIRONMENT.items():
        if variable in os.environ:
            app.config[key] = os.environ[variable]
    if overrides:
        app.config.update(overrides)

    cfg = app.config
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Concurrent gunicorn workers share the file: wait for the write lock
        # instead of failing at once with "database is locked".
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **cfg["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 30},
        }
    cfg["CAREOPS_ACCESS_TOKEN_MINUTES"] = int(cfg["CAREOPS_ACCESS_TOKEN_MINUTES"])
    cfg["CAREOPS_REFRESH_TOKEN_DAYS"] = int(cfg["CAREOPS_REFRESH_TOKEN_DAYS"])
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_CONTENT_LENGTH"])
    cfg["CAREOPS_TRUSTED_PROXIES"] = int(cfg["CAREOPS_TRUSTED_PROXIES"])
    cfg["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=cfg["CAREOPS_ACCESS_TOKEN_MINUTES"])
    cfg["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=cfg["CAREOPS_REFRESH_TOKEN_DAYS"])
    cfg["JWT_TOKEN_LOCATION"] = ["headers"]
    cfg["JWT_ERROR_MESSAGE_KEY"] = "detail"
    if cfg["CAREOPS_LOG_JSON"] is None:
        cfg["CAREOPS_LOG_JSON"] = cfg["CAREOPS_ENV"] == "production"
    if isinstance(cfg["CAREOPS_LOG_JSON"], str):
        cfg["CAREOPS_LOG_JSON"] = cfg["CAREOPS_LOG_JSON"].lower() in ("1", "true", "yes")
    for flag in ("CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL", "CAREOPS_WEBHOOKS_ALLOW_PRIVATE"):
        if isinstance(cfg[flag], str):
            cfg[flag] = cfg[flag].lower() in ("1", "true", "yes")
    cfg["CAREOPS_WORKER_METRICS_PORT"] = int(cfg["CAREOPS_WORKER_METRICS_PORT"] or 0)
    cfg["CAREOPS_BOOKING_LOCK_TIMEOUT_MS"] = int(cfg["CAREOPS_BOOKING_LOCK_TIMEOUT_MS"])
    production = cfg["CAREOPS_ENV"] == "production"
    cfg["CAREOPS_REGISTRATION"] = registration_mode(
        cfg["CAREOPS_REGISTRATION"], production, cfg["CAREOPS_REGISTRATION_CODE"]
    )
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = development_secret(app)
    if production:
        check_public_url(cfg["CAREOPS_PUBLIC_URL"], cfg["CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL"])
    cfg["JWT_SECRET_KEY"] = cfg["SECRET_KEY"]
    cfg["RATELIMIT_ENABLED"] = cfg["CAREOPS_RATELIMIT_ENABLED"]
    cfg["RATELIMIT_STORAGE_URI"] = ratelimit_storage(app, cfg)
    cfg["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis down: keep limiting per process rather than failing every limited request.
    cfg["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    cfg["RATELIMIT_SWALLOW_ERRORS"] = True


def ratelimit_storage(app, cfg) -> str:
    """Where rate-limit counters live: Redis (every server), else a SQLite file (every worker of this machine).

    A test app counts in memory: it is one process, and parallel test runs may
    share the instance folder.
    """
    from pathlib import Path

    if cfg.get("CAREOPS_RATELIMIT_STORAGE_URI"):
        return cfg["CAREOPS_RATELIMIT_STORAGE_URI"]
    if cfg["CAREOPS_REDIS_URL"]:
        return cfg["CAREOPS_REDIS_URL"]
    if cfg.get("TESTING"):
        return "memory://"
    return f"careops+sqlite:///{Path(app.instance_path).resolve() / 'ratelimits.db'}"


class ConfigError(RuntimeError):
    """A setting that makes the install unsafe or broken; its message is one line for the operator."""


REGISTRATION_MODES = ("open", "invite", "closed")


def registration_mode(value, production: bool, code) -> str:
    mode = (value or ("closed" if production else "open")).strip().lower()
    if mode not in REGISTRATION_MODES:
        raise ConfigError(f"CAREOPS_REGISTRATION must be one of {', '.join(REGISTRATION_MODES)}, not {value!r}")
    if mode == "invite" and not code:
        raise ConfigError("CAREOPS_REGISTRATION=invite needs CAREOPS_REGISTRATION_CODE (the code new owners give)")
    return mode


def check_public_url(url: str, allow_loopback: bool) -> None:
    """Refuse a production public URL that no customer could open."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"CAREOPS_PUBLIC_URL must be an http(s) URL customers can open, not {url!r}")
    host = parts.hostname
    try:
        loopback = ip_address(host).is_loopback or ip_address(host).is_unspecified
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback and not allow_loopback:
        raise ConfigError(
            f"CAREOPS_PUBLIC_URL is {url}: customers' links would point at their own machine; "
            "set it to this site's public address (or CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL=true)"
        )


def database_url(url: str) -> str:
    """Map a plain ``postgresql://`` URL to the installed driver (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def development_secret(app) -> str:
    """A development key, generated once and kept in the instance folder.

    Production (``CAREOPS_ENV=production``) refuses to start without an explicit
    ``CAREOPS_SECRET_KEY``: a key that lives only on one machine would log every
    user out of the other instances.
    """
    if app.config["CAREOPS_ENV"] == "production":
        raise ConfigError(
            "CAREOPS_SECRET_KEY must be set when CAREOPS_ENV=production "
            "(a long random string, the same on every instance)"
        )
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create with 0600 and never overwrite: two workers starting at once
        # must end up with the same key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
