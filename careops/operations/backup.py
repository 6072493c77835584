"""Backups and restores of the database, for ``flask careops backup|restore``.

- **SQLite** (the embedded default): SQLite's online backup API copies a
  consistent snapshot while gunicorn and the consumer keep writing (WAL
  readers never block); the copy is written beside the target and renamed, so
  a failed backup never leaves half a file under the target's name. Restore
  copies the backup back page by page through the same API.
- **PostgreSQL**: ``pg_dump --format=custom`` and ``pg_restore --clean``
  (the client tools of the server's major version must be installed). The
  same commands work by hand; ``docs/backup.md`` lists them. The app's role is
  bound by row-level security (:mod:`careops.rls`), so the dump runs with it
  enabled and the session unscoped: every workspace's rows, not an error.
  Restore needs nothing: pg_restore loads the rows before the policies.

The task queue is not backed up: it holds only work that the outbox sweep
and the reminder sweeps recreate from the database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from careops.extensions import db


def backup(path: str | os.PathLike, url: sa.URL | None = None) -> str:
    """Write a backup of the database at ``url`` (default: the app's) to ``path``; a line saying what was done."""
    url = url or db.engine.url
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_file(url))
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        # pg_dump refuses a table whose policy would hide rows unless told to apply it;
        # careops.unscoped=on makes the policy show every row.
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--enable-row-security",
            f"--file={partial}",
            url=url,
            options="-c careops.unscoped=on",
        )
    else:
        raise ValueError(f"no backup method for {url.get_backend_name()}")
    os.replace(partial, target)
    return f"Backed up {url.render_as_string(hide_password=True)} to {target} ({target.stat().st_size} bytes)"


def restore(path: str | os.PathLike, url: sa.URL | None = None) -> str:
    """Replace the database at ``url`` (default: the app's) with the backup at ``path``."""
    url = url or db.engine.url
    source_path = Path(path).resolve()
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep the old pages or hold a lock
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(source_path)
        live = sqlite3.connect(_sqlite_file(url))
        try:
            source.backup(live)
        finally:
            live.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", str(source_path), url=url)
    else:
        raise ValueError(f"no restore method for {url.get_backend_name()}")
    return f"Restored {url.render_as_string(hide_password=True)} from {source_path}"


def _sqlite_file(url: sa.URL) -> str:
    if not url.database or url.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return url.database


def _run(tool: str, *args: str, url: sa.URL, options: str | None = None) -> None:
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} is not installed: install the PostgreSQL client tools of your server's version")
    env = dict(os.environ)
    if options:  # server settings for the tool's session
        env["PGOPTIONS"] = " ".join(filter(None, (env.get("PGOPTIONS"), options)))
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` would show it
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    completed = subprocess.run([tool, *args, f"--dbname={plain}"], env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{tool} failed: {completed.stderr.strip()[-500:]}")
