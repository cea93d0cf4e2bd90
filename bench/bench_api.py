"""Requests per second and p50/p99 latency of the admin API under a read-heavy concurrent mix, on
uvicorn, against a bare FastAPI endpoint served the same way in the same run.

The world is simulated into a temporary COACH_HOME (SQLite, the embedded default) and the marts a
read touches are published as Parquet, so every request does what it does in production: check an
API key, open a tenant session, query the store or a published mart, serialize. The mix:

    50%  GET /workers?limit=50            (list, cursor page, tenant filter)
    20%  GET /workers/{id}                (read one)
    15%  GET /reads/worker-progress       (published Parquet through DuckDB)
    15%  GET /segments                    (list)

The baseline is `GET /ping` on a FastAPI app with nothing behind it, run with the same uvicorn
options and the same load generator: the ratio is what the platform costs per request.

    python bench/bench_api.py
    python bench/bench_api.py --workers 3000 --seconds 10 --concurrency 32
    python bench/bench_api.py --home /tmp/bench-api --only /v1/workers   # keep the world; one route
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import aiohttp
import duckdb
import httpx
import numpy as np

from api.server import free_port
from coaching.lake import published_mart
from coaching.pseudonyms import organization_key, worker_key


def serve(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            "1",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app} did not start")


async def load(
    base: str, paths: list[str], headers: dict[str, str], seconds: float, concurrency: int
) -> tuple[int, np.ndarray, int]:
    """Closed-loop users, each sending its next request when the last one answered (aiohttp:
    the cheapest Python client, so the generator takes as little of the 2 cores as it can)."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector) as client:

        async def user(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while time.perf_counter() < stop:
                path = rng.choice(paths)
                started = time.perf_counter()
                async with client.get(path) as answer:
                    await answer.read()
                    errors += answer.status != 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(user(i) for i in range(concurrency)))
    return len(latencies), np.array(latencies), errors


def run(
    label: str, base: str, paths: list[str], headers: dict[str, str], args: argparse.Namespace
) -> float:
    asyncio.run(load(base, paths, headers, 1.0, args.concurrency))  # warm up connections and caches
    count, latencies, errors = asyncio.run(
        load(base, paths, headers, args.seconds, args.concurrency)
    )
    rate = count / args.seconds
    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
    print(
        f"  {label:<28} {rate:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   errors {errors}"
    )
    if errors:
        raise SystemExit(f"{label}: {errors} requests failed")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=3000, help="workers in the simulated world")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per side")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument(
        "--home", type=Path, help="COACH_HOME to simulate into, or to reuse when it holds a world"
    )
    parser.add_argument("--only", help="measure only the mix's paths that start with this")
    args = parser.parse_args()

    from coaching.settings import load_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate

    home = args.home or Path(tempfile.mkdtemp(prefix="bench-api-"))
    if not (home / "coach.db").exists():
        settings = load_settings({"COACH_HOME": str(home)})
        simulate(
            settings,
            SimulationConfig(seed=7, workers=args.workers, days=14, end_date=date(2026, 11, 1)),
        )
    # One key sending thousands of requests a second: the rate limits are still checked on every
    # request (their cost is part of the figure) but set far above what the mix sends.
    env = {
        **os.environ,
        "COACH_HOME": str(home),
        "COACH_API_RATE_LIMIT_PER_ORGANIZATION": "100000000/minute",
        "COACH_API_RATE_LIMIT_PER_API_KEY": "100000000/minute",
    }
    with sqlite3.connect(home / "coach.db") as db:
        org, slug = db.execute(
            "select id, slug from organizations where type = 'client' order by slug limit 1"
        ).fetchall()[0]
        worker_ids = [
            r[0]
            for r in db.execute("select id from workers where organization_id = ? limit 200", [org])
        ]
        enrollments = db.execute(
            "select id, program_id, worker_id from enrollments where organization_id = ?", [org]
        ).fetchall()
    # Published as the pipeline publishes: the progress by pseudonymous worker key, and the
    # restricted identities the API joins back to an id at its last step.
    progress = published_mart(home / "lake", "worker_progress")
    identities = published_mart(home / "lake", "worker_identities")
    for folder in (progress.parent, identities.parent):
        folder.mkdir(parents=True, exist_ok=True)
    org_key = organization_key("b" * 40, org)
    with duckdb.connect() as con:
        con.execute(
            "create table progress (enrollment_id varchar, organization_id varchar, program_id varchar, worker_key varchar, state varchar)"
        )
        con.executemany(
            "insert into progress values (?, ?, ?, ?, 'on_track')",
            [(e, org, p, worker_key(org_key, w)) for e, p, w in enrollments],
        )
        con.execute(f"copy progress to '{progress}' (format parquet)")
        con.execute(
            "create table identities (worker_id varchar, organization_id varchar, worker_key varchar)"
        )
        con.executemany(
            "insert into identities values (?, ?, ?)",
            sorted({(w, org, worker_key(org_key, w)) for _, _, w in enrollments}),
        )
        con.execute(f"copy identities to '{identities}' (format parquet)")
    key = subprocess.run(
        [sys.executable, "-m", "coaching.cli", "api-key", slug],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    paths = (
        ["/v1/workers?limit=50"] * 10
        + [f"/v1/workers/{random.Random(i).choice(worker_ids)}" for i in range(4)]
        + ["/v1/reads/worker-progress?limit=50"] * 3
        + ["/v1/segments"] * 3
    )
    if args.only:
        paths = [path for path in paths if path.startswith(args.only)]
        if not paths:
            raise SystemExit(f"no path of the mix starts with {args.only}")

    bare = home / "bare_app.py"
    bare.write_text(
        textwrap.dedent(
            """
        from fastapi import FastAPI
        app = FastAPI()
        @app.get("/health")
        def health():
            return {"status": "ok"}
        @app.get("/ping")
        def ping():
            return {"items": [], "next_cursor": None}
        """
        )
    )
    print(
        f"admin API, read-heavy mix, {args.concurrency} in flight, {args.seconds:.0f} s per side, {args.workers} workers simulated"
    )
    port = free_port()
    server = serve("api.asgi:app", port, env)
    try:
        api_rate = run("admin API mix", f"http://127.0.0.1:{port}", paths, headers, args)
    finally:
        server.terminate()
        server.wait()
    port = free_port()
    server = serve("bare_app:app", port, {**env, "PYTHONPATH": str(home)})
    try:
        bare_rate = run(
            "bare FastAPI /ping (baseline)", f"http://127.0.0.1:{port}", ["/ping"], {}, args
        )
    finally:
        server.terminate()
        server.wait()
    print(f"  ratio: the API serves {api_rate / bare_rate:.2f}x the baseline's requests per second")


if __name__ == "__main__":
    main()
