"""The wrk benchmarks still run: ``bench/booking_bench.py`` and ``bench/memory_bench.py``, ``--quick``, on SQLite.

Not a performance check — one-second runs on a shared machine say nothing —
but every scenario must have been measured, every public booking request must
have been a valid new booking (a 2xx), and no resource may end over capacity;
the memory bench must have read both workers' memory after each step of its
mixed load. That is what keeps ``make bench`` from rotting between the times
someone runs it.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = (
    "ceiling insert",
    "ceiling list",
    "public booking",
    "staff booking list, page of 20",
    "contacts list, page of 20",
    "conversations list, page of 20",
    "public slots, 3 days",
)


def run_quick(script: str, tmp_path) -> tuple[str, dict]:
    """``bench/<script> --quick --db sqlite``, which must succeed: its output and the SQLite figures it wrote."""
    figures_file = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, f"bench/{script}", "--quick", "--db", "sqlite", "--json", str(figures_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout, json.loads(figures_file.read_text())["sqlite"]


@pytest.mark.live
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_quick_bench_measures_every_scenario(tmp_path):
    output, figures = run_quick("booking_bench.py", tmp_path)
    assert set(figures) == set(SCENARIOS)
    for name, measured in figures.items():
        assert measured["requests"] > 0, name
        assert measured["socket_errors"] == 0, (name, measured)
    # Every POST a new booking: the Lua counter made each slot/customer distinct and valid.
    assert figures["public booking"]["non_2xx"] == 0, figures["public booking"]
    assert figures["ceiling insert"]["non_2xx"] == 0
    assert "% ceil" in output
    assert "violations: none" in output


def test_table_row_reports_the_share_of_the_ceiling_and_failures():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from harness import row
    finally:
        sys.path.remove(str(ROOT / "bench"))
    app = {"rps": 50.0, "p50_ms": 10.0, "p99_ms": 30.0, "non_2xx": 3, "socket_errors": 0}
    line = row("public booking", app, {"rps": 200.0, "p50_ms": 1, "p99_ms": 2, "non_2xx": 0, "socket_errors": 0})
    assert "25.0 %" in line
    assert "3 non-2xx" in line


@pytest.mark.live
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_quick_memory_bench_prints_the_curve_of_each_worker(tmp_path):
    """``bench/memory_bench.py --quick``: two steps of mixed load, each worker's RSS read after each."""
    output, curve = run_quick("memory_bench.py", tmp_path)
    assert curve[0]["requests"] == 0  # the reading before any load
    assert curve[-1]["requests"] >= 600 * 0.98
    assert [point["requests"] for point in curve] == sorted({point["requests"] for point in curve})
    for point in curve:
        assert len(point["pids"]) == 2, point  # make run's two workers, each measured
        assert all(mb > 10 for mb in point["rss_mb"]), point
        assert point.get("non_2xx", 0) == 0 and point.get("socket_errors", 0) == 0, point
    # Recycling was off, so the same two workers served the whole run.
    assert {tuple(point["pids"]) for point in curve} == {tuple(curve[0]["pids"])}
    assert "resident memory per gunicorn worker" in output
    assert "worker recycling off" in output
    assert "verdict: PASS" in output or "verdict: FAIL" in output
    assert "max_requests=" in output  # the configured recycling is named
