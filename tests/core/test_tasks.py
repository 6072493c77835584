"""The task queue: CAREOPS_TASK_QUEUE, app contexts for tasks, the worker command."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from careops.extensions import db
from careops.tasks import huey, task

seen: list = []


@task()
def record_context(tag: str) -> None:
    seen.append(
        (
            tag,
            current_app.name,
            current_app.config["CAREOPS_TASK_QUEUE"],
            db.session.execute(sa.text("SELECT 1")).scalar(),
        )
    )


def in_thread(fn):
    """Run ``fn`` in a thread of its own: no app or request context there."""
    result = {}

    def run():
        result["had_context"] = has_app_context()
        fn()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result


def test_immediate_queue(make_app):
    make_app(CAREOPS_TASK_QUEUE="immediate")
    assert huey.immediate is True and isinstance(huey.storage, MemoryStorage)


def test_sqlite_queue(make_app, tmp_path):
    path = tmp_path / "queue.db"
    make_app(CAREOPS_TASK_QUEUE=f"sqlite:///{path}")
    assert huey.immediate is False and isinstance(huey.storage, SqliteStorage)
    assert huey.storage.filename == str(path)


def test_sqlite_queue_syncs_like_the_main_database(make_app, tmp_path):
    """WAL with synchronous=NORMAL (1), not Huey's default FULL (2): no fsync per enqueue."""
    make_app(CAREOPS_TASK_QUEUE=f"sqlite:///{tmp_path / 'queue.db'}")
    huey.storage.enqueue(b"nudge")  # a real write through the storage's own connection
    connection = huey.storage.conn
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert huey.storage.dequeue() == b"nudge"


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/3", "rediss://cache.example:6380/0"])
def test_redis_queue(make_app, url):
    make_app(CAREOPS_TASK_QUEUE=url)
    assert huey.immediate is False and isinstance(huey.storage, RedisStorage)


@pytest.mark.parametrize("url", ["amqp://localhost", "sqlite://relative.db", "", "IMMEDIATE"])
def test_invalid_queue_refuses_to_start(make_app, url):
    with pytest.raises(ValueError, match="CAREOPS_TASK_QUEUE"):
        make_app(CAREOPS_TASK_QUEUE=url)


def test_immediate_task_runs_in_an_app_context(app):
    seen.clear()
    outcome = in_thread(lambda: record_context("now"))
    assert outcome["had_context"] is False
    assert seen == [("now", app.name, "immediate", 1)]


def test_queued_task_runs_in_an_app_context_in_the_consumer(make_app, tmp_path):
    made = make_app(CAREOPS_TASK_QUEUE=f"sqlite:///{tmp_path / 'queue.db'}")
    seen.clear()
    record_context("queued")
    assert seen == [] and huey.pending_count() == 1
    outcome = in_thread(lambda: huey.execute(huey.dequeue()))  # what a consumer thread does
    assert outcome["had_context"] is False
    assert seen == [("queued", made.name, made.config["CAREOPS_TASK_QUEUE"], 1)]


def test_worker_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["careops", "worker"])
    assert result.exit_code != 0
    assert "immediate" in result.output
