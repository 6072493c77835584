"""The ceiling: a minimal Flask app doing one indexed query, served like CareOps.

It reads one booking by primary key from the same database the benchmark
loaded, with the same driver and pool settings, so the distance between it and
a CareOps endpoint is what CareOps itself costs.
"""
import os

import sqlalchemy as sa
from flask import Flask, jsonify

from careops.config import database_url

app = Flask(__name__)
url = database_url(os.environ["CAREOPS_DATABASE_URL"])
engine = sa.create_engine(url, pool_pre_ping=True,
                          connect_args={"timeout": 30} if url.startswith("sqlite") else {})
IDS = os.environ.get("CEILING_IDS", "").split(",")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/ceiling/<int:i>")
def ceiling(i):
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, status FROM bookings WHERE id = :id"),
                           {"id": IDS[i % len(IDS)]}).first()
    return jsonify({"id": row[0], "status": row[1]})
