"""Schemathesis against a live CareOps: no server error, no answer that the OpenAPI document does not allow.

    .venv/bin/python scripts/fuzz_api.py                        # SQLite, a fresh file
    .venv/bin/python scripts/fuzz_api.py --database-url postgresql://postgres@127.0.0.1/careops_fuzz \
        --redis-url redis://127.0.0.1:6379/14                   # an empty PostgreSQL database + Redis

Steps: build the schema on the fresh database (``create_all``, as the tests
do), start gunicorn on a free loopback port, seed an activated workspace
through the API (owner, service, hours, console email, activation) and run
Schemathesis over ``/api/v1/openapi.json`` with every check, a fixed seed and a
bounded number of examples per operation. Protected operations get the owner's
bearer token; public ones get it too and must ignore it (a client that always
sends its header must still book). The workspace's slug and service id are
pinned so public operations reach real code, not only 404s.

Exit status: Schemathesis's (non-zero on any failure). Keep ``--max-examples``
low enough that the run stays within a few minutes on CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = 20261129
#: Operations left out: logout would revoke the token every later call uses.
EXCLUDED_OPERATIONS = ("logout",)
#: Beyond what a schema can say (a slot taken, a date range backwards, a state
#: transition): valid-looking data may still be refused with these.
ACCEPTABLE_FOR_VALID_DATA = ("2xx", "400", "401", "403", "404", "409", "422", "429", "503")

CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = [{statuses}]

[parameters]
"path.slug" = "{slug}"
"path.service_id" = "{service_id}"
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_schema(env: dict) -> None:
    # create_all knows nothing of PostgreSQL's row-level security: the policies are added as the tests do.
    code = (
        "from careops import create_app, rls\nfrom careops.extensions import db\n"
        "app = create_app()\nwith app.app_context():\n    db.drop_all()\n    db.create_all()\n"
        "    with db.engine.begin() as connection:\n"
        "        rls.enable(connection, rls.workspace_tables(db.metadata))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"gunicorn did not start; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def seed(base: str) -> dict:
    """An activated workspace with a bookable service; its owner's token, slug and service id."""
    api = f"{base}/api/v1"

    def ok(response, status=(200, 201)):
        if response.status_code not in status:
            raise SystemExit(
                f"seeding failed: {response.request.method} {response.url} → {response.status_code} {response.text}"
            )
        return response.json() if response.content else None

    registered = ok(
        requests.post(
            f"{api}/auth/register",
            json={
                "email": "fuzz-owner@example.com",
                "password": "fuzzing-password-1",
                "full_name": "Fuzz Owner",
                "workspace_name": "Fuzz Clinic",
                "timezone": "Europe/Paris",
            },
        )
    )
    headers = {"Authorization": f"Bearer {registered['access_token']}"}
    service = ok(
        requests.post(
            f"{api}/services",
            headers=headers,
            json={"name": "Consultation", "duration_minutes": 30, "min_notice_minutes": 0},
        )
    )
    ok(
        requests.put(
            f"{api}/availability",
            headers=headers,
            json={
                "rules": [
                    {"weekday": day, "start": "08:00", "end": "18:00"}
                    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                ]
            },
        )
    )
    ok(
        requests.put(
            f"{api}/integrations/email",
            headers=headers,
            json={"provider": "console", "config": {}, "enabled": True, "priority": 1},
        )
    )
    ok(requests.post(f"{api}/workspace/activate", headers=headers))
    ok(requests.post(f"{api}/contacts", headers=headers, json={"name": "Fay Fuzz", "email": "fay@example.com"}))
    return {"token": registered["access_token"], "slug": registered["workspace"]["slug"], "service_id": service["id"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--redis-url", help="Redis for rate limits, revocations and breakers (default: none)")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("CAREOPS_FUZZ_EXAMPLES", 5)))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--report-dir", help="keep Schemathesis's JUnit report and the server log here")
    args, extra = parser.parse_known_args(argv)

    work = Path(tempfile.mkdtemp(prefix="careops-fuzz-"))
    report_dir = Path(args.report_dir) if args.report_dir else work
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREOPS_")}
    env.update(
        {
            "CAREOPS_ENV": "development",
            "CAREOPS_DATABASE_URL": args.database_url or f"sqlite:///{work / 'fuzz.db'}",
            "CAREOPS_TASK_QUEUE": "immediate",
            "CAREOPS_SECRET_KEY": "fuzzing-secret-key-that-is-long-enough-for-hs256",
            "CAREOPS_PUBLIC_URL": "http://careops.test",
            "CAREOPS_ACCESS_TOKEN_MINUTES": "60",
            # The fuzzer is one address sending thousands of requests: limits would hide the endpoints.
            "CAREOPS_RATELIMIT_PUBLIC": "100000/minute",
            "CAREOPS_RATELIMIT_LOGIN": "100000/minute",
            "CAREOPS_LOG_LEVEL": "WARNING",
        }
    )
    if args.redis_url:
        env["CAREOPS_REDIS_URL"] = args.redis_url
    build_schema(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, report_dir / "gunicorn.log")
    try:
        seeded = seed(base)
        config = work / "schemathesis.toml"
        config.write_text(
            CONFIG.format(
                statuses=", ".join(f'"{s}"' for s in ACCEPTABLE_FOR_VALID_DATA),
                slug=seeded["slug"],
                service_id=seeded["service_id"],
            )
        )
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{base}/api/v1/openapi.json",
            "--url",
            base,
            "--checks",
            "all",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--generation-database",
            "none",
            "--header",
            f"Authorization: Bearer {seeded['token']}",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
            str(report_dir),
            *[f"--exclude-operation-id={name}" for name in EXCLUDED_OPERATIONS],
            *extra,
        ]
        started = time.monotonic()
        code = subprocess.run(command, cwd=work).returncode
        print(
            f"schemathesis finished in {time.monotonic() - started:.0f}s with exit status {code}; "
            f"server log: {report_dir / 'gunicorn.log'}"
        )
        return code
    finally:
        stop(server)
        if not args.report_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
