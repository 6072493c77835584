"""The booking benchmark (``bench/booking_bench.py``) still runs: its ``--quick`` smoke mode, on SQLite.

Not a performance check — one-second runs on a shared machine say nothing —
but every scenario must have been measured, every public booking request must
have been a valid new booking (a 2xx), and no resource may end over capacity.
That is what keeps ``make bench`` from rotting between the times someone runs it.
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


@pytest.mark.live
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_quick_bench_measures_every_scenario(tmp_path):
    figures_file = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "bench/booking_bench.py", "--quick", "--db", "sqlite", "--json", str(figures_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads(figures_file.read_text())["sqlite"]
    assert set(figures) == set(SCENARIOS)
    for name, measured in figures.items():
        assert measured["requests"] > 0, name
        assert measured["socket_errors"] == 0, (name, measured)
    # Every POST a new booking: the Lua counter made each slot/customer distinct and valid.
    assert figures["public booking"]["non_2xx"] == 0, figures["public booking"]
    assert figures["ceiling insert"]["non_2xx"] == 0
    assert "% ceil" in done.stdout
    assert "violations: none" in done.stdout


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
