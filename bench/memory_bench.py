"""Resident memory of each gunicorn worker over 100,000 mixed requests (issue #15: under 150 MB each).

CareOps runs as ``bench/booking_bench.py`` runs it (gunicorn with
``careops.gunicorn_conf``, 2 sync workers, the schema from ``flask db
upgrade``, the same workspace and 10,000-booking calendar over 30 days, the
task consumer not started), then wrk drives a rotating mix of what a clinic's
traffic looks like — mostly reads, one request in ten a write:

- 5 in 20: public slots for a week (the booking page),
- 2 in 20: public booking create (each a new valid booking and customer),
- 4 in 20: the staff booking list, a page of 20,
- 3 in 20: one booking (``GET /api/v1/bookings/{id}``),
- 3 in 20: the contacts list, 3 in 20: the conversations list (pages of 20).

wrk runs for a time, not a count (it has no request limit, and a Lua hook
that stops its threads still leaves it sleeping out ``-d``), so each step's
duration is sized from the rate of the step before to reach the next tenth of
the total; the curve reports the requests wrk counted. After each step the
resident set size (``VmRSS`` in ``/proc/<pid>/status``) of every worker — the
gunicorn master's children — is read. The curve prints requests done → each
worker's RSS in MB, then a verdict against :data:`TARGET_MB`.

Worker recycling is switched off for the run: ``careops.gunicorn_conf``
restarts a worker after ``max_requests`` (``CAREOPS_WEB_MAX_REQUESTS``,
20,000 by default, plus up to 10 % jitter), which would hide a leak — the
bench sets it to 0 and checks that no worker's process id changed.

    .venv/bin/python bench/memory_bench.py [--db sqlite|postgresql|both] [--quick]

``--quick`` (200 bookings over 3 days, 2 steps of 300 requests) is what
``tests/core/test_bench_smoke.py`` runs. PostgreSQL runs use the
``careops_memory_bench`` database (dropped and created) and Redis dbs 7 and 8.
RSS does not depend on how loaded the machine is; the request rate does, and
is printed only so the step sizes can be understood.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from booking_bench import (  # noqa: E402
    THREAD_ID_LUA,
    booking_body_lua,
    load_calendar,
    prepare_database,
    setup_workspace,
    slot_starts,
)
from harness import WrkMissing, find_wrk, gunicorn, lua_string_list, wrk  # noqa: E402

TARGET_MB = 150
PG_NAME = "careops_memory_bench"
REDIS_DBS = (7, 8)
#: The rotation, in twentieths: (what, how many in 20).
MIX = (
    ("public slots, 7 days", 5),
    ("public booking", 2),
    ("staff booking list", 4),
    ("booking detail", 3),
    ("contacts list", 3),
    ("conversations list", 3),
)
PLAN_LENGTH = 400  # requests before the rotation repeats itself exactly
#: What the run sets on top of prepare_database's environment: no recycling, and a token that outlives the run.
RUN_ENV = {"CAREOPS_WEB_MAX_REQUESTS": "0", "CAREOPS_ACCESS_TOKEN_MINUTES": "1440"}


def rotation() -> list[str]:
    """The names of :data:`MIX` interleaved evenly (smooth weighted round robin), 20 long."""
    total = sum(weight for _, weight in MIX)
    credit = dict.fromkeys((name for name, _ in MIX), 0)
    order = []
    for _ in range(total):
        for name, weight in MIX:
            credit[name] += weight
        chosen = max(credit, key=credit.get)
        credit[chosen] -= total
        order.append(chosen)
    return order


def request_plan(ws: dict, booking_ids: list[str], first: date, days: int) -> list[tuple[str, str]]:
    """:data:`PLAN_LENGTH` requests as ``(kind, path)``: ``public``/``staff`` GETs, ``book`` a public booking POST.

    Each kind's paths vary (other pages, other bookings, other weeks) so the
    workers see the spread of queries and payloads a day's traffic brings.
    """
    pages = range(1, 26)
    weeks = [first + timedelta(days=offset) for offset in range(max(1, days - 6))]
    choices = {
        "public slots, 7 days": [
            (
                "public",
                f"/api/v1/public/{ws['slug']}/services/{ws['service_id']}/slots?from={d}&to={d + timedelta(days=6)}",
            )
            for d in weeks
        ],
        "public booking": [("book", f"/api/v1/public/{ws['slug']}/bookings")],
        "staff booking list": [
            ("staff", f"/api/v1/bookings?from={first}&to={first + timedelta(days=days - 1)}&page={p}&page_size=20")
            for p in pages
        ],
        "booking detail": [("staff", f"/api/v1/bookings/{booking_id}") for booking_id in booking_ids]
        or [("staff", "/api/v1/bookings?page=1&page_size=1")],  # an empty calendar: the list stands in
        "contacts list": [("staff", f"/api/v1/contacts?page={p}&page_size=20") for p in pages],
        "conversations list": [("staff", f"/api/v1/conversations?page={p}&page_size=20") for p in pages],
    }
    order, seen, plan = rotation(), dict.fromkeys(choices, 0), []
    for position in range(PLAN_LENGTH):
        name = order[position % len(order)]
        plan.append(choices[name][seen[name] % len(choices[name])])
        seen[name] += 1
    return plan


def mixed_script(plan: list[tuple[str, str]], ws: dict, starts: list[str], tag: str) -> str:
    """The wrk script walking ``plan`` (each thread from its own offset); staff requests carry the owner's token."""
    return (
        booking_body_lua(ws["service_id"], starts, tag)
        + THREAD_ID_LUA
        + f"""
local kinds = {lua_string_list(kind for kind, _ in plan)}
local paths = {lua_string_list(path for _, path in plan)}
local staff = {{["Authorization"] = {json.dumps(ws["token"])}}}
local json_body = {{["Content-Type"] = "application/json"}}
local counter = 0
request = function()
  counter = counter + 1
  local i = ((counter + tid * 197) % #paths) + 1
  if kinds[i] == "book" then
    return wrk.format("POST", paths[i], json_body, booking_body(tid, counter))
  elseif kinds[i] == "staff" then
    return wrk.format("GET", paths[i], staff)
  end
  return wrk.format("GET", paths[i])
end
"""
    )


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (its workers), from ``/proc``: no psutil needed."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (VmRSS, which the kernel gives in kB): the issue's measure."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def private_mb(pid: int) -> float | None:
    """The part of ``pid``'s RSS no other process maps (Private_Clean + Private_Dirty): what one more worker costs.

    RSS also counts pages shared with the master and the other worker; None
    where the kernel has no ``smaps_rollup`` (before Linux 4.14).
    """
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
    return sum(int(fields[name].split()[0]) for name in ("Private_Clean", "Private_Dirty")) / 1024


def reading(master: int) -> dict:
    """One point of the curve: each worker's pid, RSS and private memory, and the master's RSS."""
    workers = worker_pids(master)
    return {
        "pids": workers,
        "rss_mb": [rss_mb(pid) for pid in workers],
        "private_mb": [private_mb(pid) for pid in workers],
        "master_rss_mb": rss_mb(master),
    }


def configured_recycling() -> str:
    """What ``careops.gunicorn_conf`` sets for ``max_requests`` in this environment, in a sentence."""
    import importlib

    conf = importlib.import_module("careops.gunicorn_conf")
    if not conf.max_requests:
        return "careops.gunicorn_conf does not recycle workers here (max_requests=0)"
    return (
        f"careops.gunicorn_conf recycles each worker after max_requests={conf.max_requests} "
        f"(+ up to {conf.max_requests_jitter}) requests; this run sets CAREOPS_WEB_MAX_REQUESTS=0 so a leak shows"
    )


def booking_ids(base: str, ws: dict, first: date, days: int, count: int = 200) -> list[str]:
    """Ids of bookings of the calendar, from the staff list (``count`` at the most)."""
    ids: list[str] = []
    page = 1
    while len(ids) < count:
        r = requests.get(
            f"{base}/api/v1/bookings",
            params={"from": first, "to": first + timedelta(days=days - 1), "page": page, "page_size": 100},
            headers={"Authorization": ws["token"]},
            timeout=30,
        )
        r.raise_for_status()
        if not r.json():
            break
        ids += [b["id"] for b in r.json()]
        page += 1
    return ids[:count]


def run(kind: str, args) -> dict:
    started = time.monotonic()

    def step(what):
        print(f"  {time.monotonic() - started:6.1f}s {what}", flush=True)

    print(
        f"== {kind}: {args.bookings} bookings over {args.days} days, {args.requests} mixed requests "
        f"in {args.steps} steps, wrk -t2 -c{args.connections}",
        flush=True,
    )
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**prepare_database(kind, Path(tmp), pg_name=PG_NAME, redis_dbs=REDIS_DBS), **RUN_ENV}
        masters: list[int] = []
        with gunicorn(("wsgi:app", env, "python:careops.gunicorn_conf"), masters=masters) as (base,):
            ws = setup_workspace(base)
            load_calendar(env, ws["workspace_id"], ws["service_id"], args.bookings, today, args.days)
            plan = request_plan(ws, booking_ids(base, ws, today, args.days), today, args.days)
            # Tomorrow on: every start is still offered (no notice has passed), capacity is far off.
            starts = [s.isoformat() for s in slot_starts(today + timedelta(days=1), max(1, args.days - 1))]
            step("CareOps serving, calendar loaded")
            curve = [{"requests": 0, **reading(masters[0]), "rps": None}]
            done, rate, part = 0, None, 0
            for mark in (args.requests * k // args.steps for k in range(1, args.steps + 1)):
                while done < mark * 0.98:  # time-bounded steps fall a little short or over: close enough
                    part += 1
                    # The first run only measures the rate (its requests count); the others aim at the mark.
                    seconds = args.calibration if rate is None else max(1, math.ceil((mark - done) / rate))
                    figures = wrk(
                        base,
                        mixed_script(plan, ws, starts, f"{kind}{part}"),
                        seconds=seconds,
                        connections=args.connections,
                    )
                    done += figures["requests"]
                    rate = max(figures["rps"], 1.0)
                    curve.append(
                        {
                            "requests": done,
                            **reading(masters[0]),
                            "rps": figures["rps"],
                            "non_2xx": figures["non_2xx"],
                            "socket_errors": figures["socket_errors"],
                        }
                    )
                    rss = ", ".join(f"{mb:.1f}" for mb in curve[-1]["rss_mb"])
                    step(f"{done} requests ({figures['rps']:.0f} req/s): workers' RSS {rss} MB")
    lines = report(kind, curve)
    print("\n".join(lines), flush=True)
    return {"lines": lines, "curve": curve}


def report(kind: str, curve: list[dict]) -> list[str]:
    """The curve as a table, whether a worker was replaced, and the verdict against the target.

    Per worker: its RSS (the target's measure) and, in brackets, the part of it
    that is its own (the rest is shared with the master and the other worker).
    """
    workers = len(curve[0]["pids"])
    header = f"{'requests':>9}  " + "  ".join(f"{f'worker {n + 1} MB (own)':>20}" for n in range(workers))
    lines = [
        f"== {kind}: resident memory per gunicorn worker (VmRSS; own = private pages)",
        header + f"  {'master MB':>9}  {'req/s':>7}  answers",
    ]
    for point in curve:
        trouble = []
        if point.get("non_2xx"):
            trouble.append(f"{point['non_2xx']} non-2xx")
        if point.get("socket_errors"):
            trouble.append(f"{point['socket_errors']} socket errors")
        rate = f"{point['rps']:7.0f}" if point["rps"] else f"{'':>7}"
        cells = [
            f"{rss:11.1f} ({own:6.1f})" if own is not None else f"{rss:11.1f}         "
            for rss, own in zip(point["rss_mb"], point["private_mb"], strict=True)
        ]
        lines.append(
            f"{point['requests']:>9}  "
            + "  ".join(f"{cell:>20}" for cell in cells)
            + f"  {point['master_rss_mb']:9.1f}  {rate}  {', '.join(trouble) or 'all 2xx'}"
        )
    replaced = [point for point in curve if point["pids"] != curve[0]["pids"]]
    if replaced:
        lines.append(
            f"workers replaced during the run (pids {curve[0]['pids']} -> {replaced[-1]['pids']}): "
            "a new worker starts small again, so the curve after it understates any growth"
        )
    else:
        lines.append(f"worker recycling off (max_requests=0): the same workers {curve[0]['pids']} served every request")
    # The trend over the second half: the first requests fill caches (lazy imports, compiled queries) once,
    # a leak keeps growing after them.
    last = curve[-1]
    first = next(point for point in curve if point["requests"] >= last["requests"] / 2)
    peak = max(mb for point in curve for mb in point["rss_mb"])
    verdict = (
        f"verdict: {'PASS' if peak < TARGET_MB else 'FAIL'}: peak worker RSS {peak:.1f} MB "
        f"over {last['requests']} requests (target: under {TARGET_MB} MB)"
    )
    if not replaced:
        growth = max(b - a for a, b in zip(first["rss_mb"], last["rss_mb"], strict=True))
        verdict += (
            f"; second half (requests {first['requests']} to {last['requests']}): largest growth {growth:+.1f} MB"
            f" ({growth / max(1, last['requests'] - first['requests']) * 10_000:+.2f} MB per 10,000 requests)"
        )
    lines.append(verdict)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="smoke mode: tiny calendar, 2 steps of 300 requests")
    parser.add_argument("--requests", type=int, default=None, help="in all; default 100000 (600 with --quick)")
    parser.add_argument("--steps", type=int, default=None, help="RSS readings; default 10 (2 with --quick)")
    parser.add_argument("--bookings", type=int, default=None, help="default 10000 (200 with --quick)")
    parser.add_argument("--days", type=int, default=None, help="default 30 (3 with --quick)")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c; default 8")
    parser.add_argument("--json", help="also write the curves to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.requests = args.requests or (600 if quick else 100_000)
    args.steps = args.steps or (2 if quick else 10)
    args.bookings = args.bookings if args.bookings is not None else (200 if quick else 10_000)
    args.days = args.days or (3 if quick else 30)
    args.calibration = 1 if quick else 5  # seconds of the first run, which measures the rate the steps are sized by
    try:
        print(f"wrk: {find_wrk()}", flush=True)
    except WrkMissing as missing:
        print(f"cannot benchmark: {missing}", file=sys.stderr)
        return 2
    print(configured_recycling(), flush=True)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {kind: run(kind, args) for kind in kinds}
    print("\n".join(["", "== summary", *(line for result in results.values() for line in result["lines"])]))
    if args.json:
        Path(args.json).write_text(json.dumps({kind: result["curve"] for kind, result in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
