"""CareOps: the operations backend of a small service business.

``create_app(config=None)`` builds the app from small named steps; nothing
heavy happens at import. Plugins import ``hookimpl`` from here.
"""

from __future__ import annotations

from careops.application import CareOpsFlask
from careops.hookspecs import hookimpl  # noqa: F401 - the plugin author's entry point

__version__ = "0.1.0"

#: The domain packages whose models, receivers and tasks are imported at start,
#: and whose ``views.blp`` (when present) is registered on the API.
DOMAINS = (
    "auth",
    "workspaces",
    "resources",
    "services",
    "availability",
    "bookings",
    "contacts",
    "inbox",
    "forms",
    "inventory",
    "alerts",
    "dashboard",
    "automation",
    "integrations",
    "webhooks",
    "audit",
    "public",
    "operations",
    "pages",
)
#: Blueprints a domain owns that API.md lists with another domain's endpoints, registered right
#: after that domain's own so the OpenAPI document keeps its order: auth's /staff, under "workspace".
LISTED_WITH = {"workspaces": ("careops.auth.staff_views",)}


def create_app(config: dict | None = None) -> CareOpsFlask:
    app = CareOpsFlask(__name__, instance_relative_config=True)
    init_config(app, config)
    init_logging(app)
    init_extensions(app)
    init_plugins(app)
    init_domains(app)
    init_tasks(app)
    init_http(app)
    init_cli(app)
    start_plugins(app)
    init_rate_limit_checks(app)  # last: every blueprint and plugin is in
    return app


def init_config(app, config):
    import os

    from careops import config as configuration

    os.makedirs(app.instance_path, exist_ok=True)
    configuration.load(app, config)


def init_logging(app):
    from careops import log_config

    log_config.init_app(app)


def init_extensions(app):
    from careops import rls
    from careops.db import tune_sqlite
    from careops.extensions import api, cors, db, jwt, limiter, migrate

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        rls.install(db.engine)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True, compare_type=True)
    jwt.init_app(app)
    limiter.init_app(app)
    app.config["OPENAPI_SWAGGER_UI_URL"] = "/api/v1/docs/assets/"
    api.init_app(app)
    origins = [o.strip() for o in app.config["CAREOPS_CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        cors.init_app(app, origins=origins, expose_headers=["X-Pagination", "X-Request-ID", "Retry-After"])


def init_plugins(app):
    from careops import plugins

    plugins.set_manager(
        plugins.build_manager(
            load_entrypoints=app.config["CAREOPS_LOAD_ENTRYPOINT_PLUGINS"],
            disabled=app.config["CAREOPS_DISABLED_PLUGINS"].split(","),
        )
    )


def init_domains(app):
    import importlib
    import importlib.util

    from careops.extensions import api
    from careops.plugins import collect, hook

    domains = [domain for domain in DOMAINS if importlib.util.find_spec(f"careops.{domain}") is not None]
    # Every domain's models before any other module: a module may build a statement when it
    # loads (careops.auth.tokens does), which configures every mapper loaded by then, and a
    # relationship naming another domain's model by name (a booking's "Contact") must find it.
    for domain in domains:
        if importlib.util.find_spec(f"careops.{domain}.models") is not None:
            importlib.import_module(f"careops.{domain}.models")
    for domain in domains:
        package = f"careops.{domain}"
        for module in ("receivers", "tasks"):
            if importlib.util.find_spec(f"{package}.{module}") is not None:
                importlib.import_module(f"{package}.{module}")
        if importlib.util.find_spec(f"{package}.views") is not None:
            views = importlib.import_module(f"{package}.views")
            for name in ("blp", "public_blp"):
                if hasattr(views, name):
                    api.register_blueprint(getattr(views, name))
            if hasattr(views, "ops"):
                api.register_blueprint(views.ops)
            if hasattr(views, "site"):
                # HTML pages for people, at the site root and outside the OpenAPI document.
                app.register_blueprint(views.site)
        for module in LISTED_WITH.get(domain, ()):
            api.register_blueprint(importlib.import_module(module).blp)
    import careops.events_tasks  # noqa: F401 - the outbox's delivery tasks

    for blueprint in collect(hook().careops_blueprints(api=api)):
        api.register_blueprint(blueprint, url_prefix=f"/api/v1/plugins/{blueprint.name}")


def init_tasks(app):
    from careops import tasks

    tasks.configure(app)


def init_http(app):
    from careops import errors, http
    from careops.auth import tokens
    from careops.operations import access_log, metrics, outage

    http.init_app(app)
    metrics.init_app(app)
    tokens.init_app(app)
    # After api.init_app: ours replaces flask-smorest's HTTPException handler.
    errors.init_app(app)
    outage.init_app(app)
    access_log.init_app(app)
    _serve_swagger_assets(app)


def _serve_swagger_assets(app):
    """Swagger UI's files, served by CareOps itself: the docs page works offline."""
    from flask import send_from_directory
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/v1/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)


def init_cli(app):
    from careops import cli

    cli.init_app(app)


def init_rate_limit_checks(app):
    from careops.extensions import limiter
    from careops.http import limits_checked_by_their_views

    limits_checked_by_their_views(app, limiter)


def start_plugins(app):
    from careops.events import connect_plugin_receivers
    from careops.plugins import collect, hook

    connect_plugin_receivers(collect(hook().careops_event_receivers()))
    hook().careops_startup(app=app)


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
