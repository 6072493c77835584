"""Operations endpoints: /healthz, /readyz, /metrics; and /api/v1/plugins."""
import sqlalchemy as sa
from flask import Blueprint as FlaskBlueprint
from flask import jsonify
from flask_smorest import Page
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import marshmallow as ma
from careops import plugins, tasks
from careops.extensions import db
from careops.http import Blueprint
from careops.operations.metrics import REGISTRY

ops = FlaskBlueprint("operations", __name__)


@ops.get("/healthz")
def healthz():
    """Liveness: the process answers; no dependency is touched."""
    return {"status": "ok"}


@ops.get("/readyz")
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

        return body(503, "SERVICE_UNAVAILABLE", f"Not ready: {', '.join(failing)} unavailable",
                    extra={"checks": checks, "failing": failing})
    return jsonify({"status": "ok", "checks": checks})


@ops.get("/metrics")
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
