"""A circuit breaker per configured provider (integration), shared through Redis when there is one.

Closed: every send is tried. After ``CAREOPS_BREAKER_THRESHOLD`` consecutive
failures the breaker opens: the provider is skipped for
``CAREOPS_BREAKER_COOLDOWN_SECONDS``. Then it is half-open: one caller (the
probe) may try; a success closes it, a failure opens it for another cool-down.
State lives in Redis when ``CAREOPS_REDIS_URL`` is set (every web and worker
process sees the same breaker), in process memory otherwise.
"""

from __future__ import annotations

import threading
import time

from flask import current_app

DEFAULT_THRESHOLD = 5
DEFAULT_COOLDOWN = 60

#: The clock; tests replace it.
clock = time.time


class MemoryStore:
    """Breaker state of one process: ``{key: {"failures": int, "opened_at": float|None, "probe_until": float}}``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state: dict[str, dict] = {}

    def read(self, key: str) -> tuple[int, float | None]:
        with self._lock:
            s = self._state.get(key, {})
            return s.get("failures", 0), s.get("opened_at")

    def fail(self, key: str, threshold: int, now: float) -> None:
        with self._lock:
            s = self._state.setdefault(key, {"failures": 0, "opened_at": None})
            s["failures"] += 1
            if s["failures"] >= threshold or s["opened_at"] is not None:
                s["opened_at"] = now
            s.pop("probe_until", None)

    def succeed(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)

    def claim_probe(self, key: str, now: float, ttl: float) -> bool:
        with self._lock:
            s = self._state.setdefault(key, {"failures": 0, "opened_at": None})
            if s.get("probe_until", 0) > now:
                return False
            s["probe_until"] = now + ttl
            return True


class RedisStore:
    """The same state in Redis: a hash per key and a short-lived probe token."""

    PREFIX = "careops:breaker:"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def read(self, key: str) -> tuple[int, float | None]:
        failures, opened_at = self.redis.hmget(self.PREFIX + key, "failures", "opened_at")
        return int(failures or 0), (float(opened_at) if opened_at else None)

    def fail(self, key: str, threshold: int, now: float) -> None:
        name = self.PREFIX + key
        failures = self.redis.hincrby(name, "failures", 1)
        if failures >= threshold or self.redis.hexists(name, "opened_at"):
            self.redis.hset(name, "opened_at", now)
        self.redis.delete(name + ":probe")
        self.redis.expire(name, 7 * 86400)  # an idle provider's state is forgotten in time

    def succeed(self, key: str) -> None:
        self.redis.delete(self.PREFIX + key, self.PREFIX + key + ":probe")

    def claim_probe(self, key: str, now: float, ttl: float) -> bool:
        return bool(self.redis.set(self.PREFIX + key + ":probe", now, nx=True, px=max(1, int(ttl * 1000))))


def _store():
    store = current_app.extensions.get("careops_breaker")
    if store is None:
        url = current_app.config.get("CAREOPS_REDIS_URL")
        store = RedisStore(url) if url else MemoryStore()
        current_app.extensions["careops_breaker"] = store
    return store


def _settings() -> tuple[int, float]:
    cfg = current_app.config
    return (
        int(cfg.get("CAREOPS_BREAKER_THRESHOLD", DEFAULT_THRESHOLD)),
        float(cfg.get("CAREOPS_BREAKER_COOLDOWN_SECONDS", DEFAULT_COOLDOWN)),
    )


def state(key: str) -> str:
    """``closed``, ``open`` or ``half_open``."""
    _, cooldown = _settings()
    _, opened_at = _store().read(key)
    if opened_at is None:
        return "closed"
    return "open" if clock() - opened_at < cooldown else "half_open"


def allow(key: str) -> bool:
    """May a send go to this provider now? In half-open state only one caller (the probe) may."""
    current = state(key)
    if current == "closed":
        return True
    if current == "open":
        return False
    _, cooldown = _settings()
    # The probe token expires after a cool-down, so a probe that died never blocks the provider.
    return _store().claim_probe(key, clock(), cooldown)


def record_success(key: str) -> None:
    _store().succeed(key)


def record_failure(key: str) -> bool:
    """Count a failure; True when the breaker is open afterwards."""
    threshold, _ = _settings()
    _store().fail(key, threshold, clock())
    return state(key) != "closed"
