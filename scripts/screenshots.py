"""Refresh docs/screenshots/: every page, at 375 and 1280 px wide, photographed by the browser tests.

Runs ``tests/pages/test_browser.py`` (Debian's Chromium through Playwright, a
live gunicorn on a free loopback port, the SQLite test database) with
``CAREOPS_SCREENSHOTS`` pointing at ``docs/screenshots``; each page the tests
visit is saved as ``{page}-375.png`` and ``{page}-1280.png``.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    out = ROOT / "docs" / "screenshots"
    env = {**os.environ, "CAREOPS_SCREENSHOTS": str(out)}
    command = [sys.executable, "-m", "pytest", "tests/pages/test_browser.py", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode == 0:
        print(f"screenshots in {out}: {len(list(out.glob('*.png')))} files")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
