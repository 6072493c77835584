"""Benchmark plumbing: start gunicorn as `make run` does, drive it with wrk, print the table.

Load comes from ``wrk`` (the Debian package): a C client on its own cores
measures the server, not a Python client's GIL. Each scenario is a wrk run
with a small Lua script whose ``done`` hook prints one JSON line (requests,
duration, latency percentiles, non-2xx answers and socket errors) that
:func:`wrk` parses. Figures are only meaningful against the ceiling measured in
the same run on the same machine: the table reports both and their ratio.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: Appended to every scenario's script: wrk calls done() once, in the main Lua state, after the run.
DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f, '
    .. '"non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


class WrkMissing(RuntimeError):
    pass


def find_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and we are root, else :class:`WrkMissing`."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk not found: installing it (apt-get install -y wrk)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
        if subprocess.run(["wrk", "--version"], capture_output=True).returncode in (0, 1):
            return shutil.which("wrk")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise WrkMissing("the benchmark needs wrk (Debian: sudo apt-get install wrk)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*apps: tuple[str, dict, str | None], workers: int = 2, masters: list[int] | None = None):
    """Start one gunicorn per ``(app, env, config)`` at once, wait for each; yield their base URLs.

    `make run`'s settings: sync workers, 2 of them, CareOps's gunicorn config
    (``python:careops.gunicorn_conf``; None for an app that is not CareOps), a
    free loopback port each. Starting them together overlaps their imports.
    ``masters``, when given, receives the master processes' ids in the order of
    ``apps`` (their workers are their children).
    """
    started = []
    try:
        for app, env, config in apps:
            port = free_port()
            args = [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                *(["-c", config] if config else []),
                app,
            ]
            log = tempfile.TemporaryFile()
            proc = subprocess.Popen(
                args, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            started.append((app, proc, log, f"http://127.0.0.1:{port}"))
            if masters is not None:
                masters.append(proc.pid)
        deadline = time.monotonic() + 90
        for app, proc, log, base in started:
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still importing
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn {app} did not start: {log.read().decode()[-3000:]}")
                time.sleep(0.2)
        yield [base for *_, base in started]
    finally:
        for _, proc, _log, _ in started:
            proc.terminate()
        for _, proc, log, _ in started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def wrk(
    base: str, script: str, *, seconds: float, connections: int, threads: int = 2, headers: dict | None = None
) -> dict:
    """One wrk run of ``script`` (Lua, without ``done``) against ``base``; the figures as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + "\n" + DONE_LUA)
        path = f.name
    try:
        args = [
            find_wrk(),
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            path,
        ]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run([*args, base], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(path)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures (rc {out.returncode}): {out.stdout[-1500:]} {out.stderr[-1500:]}")
    raw = json.loads(line[len("WRK_JSON ") :])
    seconds_taken = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds_taken if seconds_taken else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def lua_string_list(values) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def cycling_get(paths: list[str]) -> str:
    """A wrk script GETting ``paths`` in turn (each thread starting at its own offset)."""
    return f"""
local paths = {lua_string_list(paths)}
local n = 0
offset = 0  -- global: setup() sets it in the thread's state after this script is loaded, a local would stay 0
setup = function(thread) thread:set("offset", math.random(0, 1000)) end
request = function()
  n = n + 1
  return wrk.format("GET", paths[((n + offset) % #paths) + 1])
end
"""


def row(name: str, figures: dict, ceiling: dict | None = None) -> str:
    """One line of the table: req/s, p50, p99, the ratio to the ceiling, anything that was not a 2xx."""
    ratio = f"{figures['rps'] / ceiling['rps'] * 100:5.1f} %" if ceiling and ceiling["rps"] else "      "
    trouble = []
    if figures["non_2xx"]:
        trouble.append(f"{figures['non_2xx']} non-2xx")
    if figures["socket_errors"]:
        trouble.append(f"{figures['socket_errors']} socket errors")
    return (
        f"{name:<36} {figures['rps']:9.1f} {figures['p50_ms']:9.1f} {figures['p99_ms']:9.1f}  {ratio:>8}"
        f"  {', '.join(trouble)}"
    ).rstrip()


HEADER = f"{'scenario':<36} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}  {'% ceil':>8}"
