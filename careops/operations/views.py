"""Operations endpoints: /healthz, /readyz, /metrics; and /api/v1/plugins."""

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import Page
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from careops import plugins, tasks
from careops.extensions import db
from careops.http import Blueprint
from careops.operations.metrics import REGISTRY

ops = Blueprint("operations", __name__, description="Liveness, readiness and metrics (outside /api/v1)")


class HealthSchema(ma.Schema):
    status = ma.fields.String()


class ReadinessSchema(HealthSchema):
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


@ops.route("/healthz", methods=["GET"])
@ops.response(200, HealthSchema)
def healthz():
    """Liveness: the process answers; no dependency is touched."""
    return {"status": "ok"}


@ops.route("/readyz", methods=["GET"])
@ops.response(200, ReadinessSchema)
@ops.errors(503)
def readyz():
    """Readiness: the database and the task queue answer."""
    checks, failing = {}, []
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {exc.__class__.__name__}"
        failing.append("database")
    finally:
        db.session.rollback()
    try:
        tasks.ping()
        checks["task_queue"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["task_queue"] = f"error: {exc.__class__.__name__}"
        failing.append("task_queue")
    if failing:
        from careops.errors import body

        return body(
            503,
            "SERVICE_UNAVAILABLE",
            f"Not ready: {', '.join(failing)} unavailable",
            extra={"checks": checks, "failing": failing},
        )
    return {"status": "ok", "checks": checks}


@ops.route("/metrics", methods=["GET"])
@ops.doc(
    responses={
        "200": {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    }
)
def metrics():
    return generate_latest(REGISTRY), 200, {"Content-Type": CONTENT_TYPE_LATEST}


blp = Blueprint("plugins", __name__, url_prefix="/api/v1", description="Loaded plugins")


class PluginSchema(ma.Schema):
    name = ma.fields.String()
    version = ma.fields.String(allow_none=True)
    hooks = ma.fields.List(ma.fields.String())


@blp.route("/plugins", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, PluginSchema(many=True))
@blp.paginate(Page)
def list_plugins():
    """Every loaded plugin, the core's defaults included, with the hooks it implements."""
    return plugins.describe()
