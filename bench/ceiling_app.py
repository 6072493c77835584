"""The ceiling: a minimal Flask + Flask-SQLAlchemy app, served like CareOps, on the same database.

Two endpoints, the least any booking system could do for the same request:

- ``POST /ceiling/bookings`` ``{"resource": .., "start": .., "end": .., "name": ..}``:
  in one transaction, count the rows overlapping the interval on that resource
  (an indexed range query), refuse at capacity, insert one row, commit, answer it;
- ``GET /ceiling/bookings?page=N``: 20 rows of CareOps's own ``bookings`` table
  (the loaded calendar) of one workspace ordered by start (the index CareOps's
  list uses), as JSON.

Same driver, pool and engine options as CareOps (its config is loaded the same
way), same gunicorn settings: the distance between a CareOps endpoint and this
is what CareOps itself costs. :func:`create_schema` makes its table before the
server starts (two workers creating it at once would race).
"""

import os
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from careops.config import database_url

CAPACITY = 1000
metadata = sa.MetaData()
ceiling_bookings = sa.Table(
    "ceiling_bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resource", sa.String(36), nullable=False),
    sa.Column("start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Index("ix_ceiling_bookings_resource_start", "resource", "start", "end"),
)


def engine_options(url: str) -> dict:
    """CareOps's engine options for ``url`` (pre-ping; SQLite's busy timeout)."""
    options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return options


def create_schema(url: str) -> None:
    engine = sa.create_engine(database_url(url))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ.get("CAREOPS_DATABASE_URL", "sqlite://"))
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
db = SQLAlchemy(app, metadata=metadata)
bookings = sa.table(
    "bookings",
    sa.column("id"),
    sa.column("workspace_id"),
    sa.column("reference"),
    sa.column("start"),
    sa.column("end"),
    sa.column("status"),
    sa.column("contact_id"),
    sa.column("service_id"),
)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/ceiling/bookings")
def insert():
    body = request.get_json()
    start, end = datetime.fromisoformat(body["start"]), datetime.fromisoformat(body["end"])
    t = ceiling_bookings.c
    taken = db.session.execute(
        sa.select(sa.func.count())
        .select_from(ceiling_bookings)
        .where(t.resource == body["resource"], t.start < end, t.end > start)
    ).scalar_one()
    if taken >= CAPACITY:
        db.session.rollback()
        return {"error": "full"}, 409
    new_id = db.session.execute(
        ceiling_bookings.insert()
        .values(resource=body["resource"], start=start, end=end, name=body["name"])
        .returning(t.id)
    ).scalar_one()
    db.session.commit()
    return jsonify({"id": new_id, "start": start.isoformat(), "end": end.isoformat()}), 201


_workspace_id = []


def _workspace() -> str:
    """The (only) workspace with bookings, read once per worker."""
    if not _workspace_id:
        _workspace_id.append(db.session.execute(sa.text("SELECT workspace_id FROM bookings LIMIT 1")).scalar_one())
    return _workspace_id[0]


@app.get("/ceiling/bookings")
def listing():
    page = int(request.args.get("page", 1))
    rows = db.session.execute(
        sa.select(bookings)
        .where(bookings.c.workspace_id == _workspace())
        .order_by(bookings.c.start)
        .limit(20)
        .offset((page - 1) * 20)
    ).all()
    return jsonify(
        [
            {
                "id": r.id,
                "reference": r.reference,
                "start": str(r.start),
                "end": str(r.end),
                "status": r.status,
                "contact_id": r.contact_id,
                "service_id": r.service_id,
            }
            for r in rows
        ]
    )
