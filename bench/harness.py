"""Benchmark plumbing: start gunicorn as `make run` does, drive it with concurrent clients.

Latency is measured by the client around each whole request (keep-alive
connections, one per client thread). Figures are only meaningful against the
ceiling measured in the same run on the same machine.
"""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict, workers: int = 2):
    """gunicorn with `make run`'s settings (sync workers, 2 of them) on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         app],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still importing
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def load(make_request, *, clients: int, requests_total: int) -> dict:
    """Run ``requests_total`` calls of ``make_request(session, i) -> status`` over ``clients`` threads."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(requests_total))

    def worker():
        session = requests.Session()
        mine, my_statuses = [], {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t0 = time.perf_counter()
            status = make_request(session, i)
            mine.append(time.perf_counter() - t0)
            my_statuses[status] = my_statuses.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for k, v in my_statuses.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return summarize(latencies, elapsed, statuses)


def summarize(latencies: list[float], elapsed: float, statuses: dict) -> dict:
    ordered = sorted(latencies)

    def pct(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {"requests": len(ordered), "rps": len(ordered) / elapsed, "p50_ms": pct(50), "p95_ms": pct(95),
            "p99_ms": pct(99), "mean_ms": statistics.fmean(ordered) * 1000, "statuses": statuses}


def report(name: str, figures: dict, ceiling: dict | None = None) -> str:
    line = (f"{name:<34} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p95 {figures['p95_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  statuses {figures['statuses']}")
    if ceiling:
        line += f"  ({figures['rps'] / ceiling['rps'] * 100:5.1f}% of ceiling)"
    print(line, flush=True)
    return line
