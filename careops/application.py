"""The Flask class CareOps runs on: Flask, less two per-request costs the app has no use for.

- **No cookie session.** Staff authenticate with bearer tokens and customers
  with signed links; nothing is kept in Flask's signed cookie. Opening it built
  an ``itsdangerous`` serializer on every request anyway. ``flask.session`` is
  Flask's null session: reading gives nothing, writing raises.
- **Hooks checked once for ``async``.** Flask asks ``inspect`` whether each
  ``before_request``/``after_request``/teardown hook and the view is a coroutine
  function, on every request (about 18 times per CareOps request). CareOps's
  hooks and views are the same functions for the life of the process, so the
  answer is kept per function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.sessions import SessionInterface


class NoSessions(SessionInterface):
    """Every request gets Flask's null session; nothing is read from or written to a cookie."""

    def open_session(self, app, request):
        return None  # Flask then hands out make_null_session()

    def save_session(self, app, session, response):  # pragma: no cover - null sessions are never saved
        return None


class CareOpsFlask(Flask):
    session_interface = NoSessions()

    #: Past this many distinct callables the kept answers are dropped: a caller passing
    #: a new callable each time must not grow the process.
    MAX_KEPT = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_of: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync_of[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        if len(self._sync_of) >= self.MAX_KEPT:
            self._sync_of.clear()
        sync = self._sync_of[func] = super().ensure_sync(func)
        return sync
