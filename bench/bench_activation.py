"""Sustained sends per second through the twilio SDK to the local emulator, with the whole sender
(claiming from the outbox, send-time checks, token buckets, async SDK, recording results and
events), against a plain sequential `client.messages.create` loop in the same run.

The emulator runs in its own process (`coach twilio-emulator`), as it would beside a real
deployment. The world: many organizations, each with its own WhatsApp sender number (Twilio allows
80 messages per second per sender, so throughput across many senders is the figure that matters).

The emulator answers each request after `--latency-ms` (150 ms by default, about what Twilio's API
takes from far away): a sequential loop is then bound by latency, and the sender by how many
requests it keeps in flight.

    python bench/bench_activation.py
    python bench/bench_activation.py --messages 20000 --organizations 40 --baseline 100
    python bench/bench_activation.py --latency-ms 0 --baseline 500   # CPU-bound: no latency
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from activation.sender import SenderConfig
from activation.service import activate
from activation.twilio_client import sync_client
from api.server import free_port
from coaching.lake import published_mart
from coaching.settings import load_settings
from coaching.store import migrate
from coaching.store.bulk import insert_rows
from coaching.store.engine import store_engine, transaction
from coaching.store.types import new_id


def _factories():  # type: ignore[no-untyped-def]
    """The tests' sending organization, so bench and tests build the same world (the repository
    root is not on the path when this file runs as a script)."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.activation import factories

    return factories


_shared = _factories()
TEMPLATE = _shared.TEMPLATE
sending_organization = _shared.sending_organization


def world(settings, messages: int, organizations: int) -> list[dict]:
    engine = store_engine(settings)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    rows, workers = [], []
    with transaction(engine) as session:
        orgs = []
        for i in range(organizations):
            org = sending_organization(
                session, f"bench-{i}", f"+1555{i:07d}", monthly_message_quota=10_000_000
            )
            orgs.append(org.id)
    for n in range(messages):
        org = orgs[n % organizations]
        worker_id = new_id()
        phone = f"+2547{n:08d}"
        workers.append(
            {
                "id": worker_id,
                "organization_id": org,
                "phone_e164": phone,
                "display_name": f"Amina {n}",
                "language": "en",
                "timezone": "UTC",
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        rows.append(
            {
                "idempotency_key": new_id(),
                "organization_id": org,
                "program_id": "p",
                "enrollment_id": None,
                "worker_id": worker_id,
                "touchpoint_id": None,
                "is_follow_up": False,
                "experiment_variant_id": None,
                "assignment_source": "none",
                "program_variant_id": None,
                "channel": "whatsapp",
                "message_type": "template",
                "to_number": phone,
                "body": "Tip",
                "template_sid": TEMPLATE,
                "template_variables": json.dumps({"1": "first_name"}),
                "due_at": now - timedelta(minutes=1),
                "expires_at": now + timedelta(hours=12),
                "is_due": True,
            }
        )
    with engine.begin() as connection:
        insert_rows(connection, "workers", workers)
    engine.dispose()
    target = published_mart(settings.lake_dir, "activation_schedule")
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), target)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--organizations", type=int, default=40, help="sender numbers")
    parser.add_argument("--baseline", type=int, default=100, help="messages in the sequential loop")
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument(
        "--latency-ms", type=float, default=150.0, help="the emulator's answer time"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-activation-"))
    port = free_port()
    environ = {"COACH_HOME": str(home), "COACH_TWILIO_API_URL": f"http://127.0.0.1:{port}"}
    settings = load_settings(environ)
    emulator = subprocess.Popen(
        [sys.executable, "-m", "coaching.cli", "twilio-emulator", "--log", str(home / "log.jsonl")],
        env={**os.environ, **environ},
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the emulator did not start") from None
                time.sleep(0.2)
        httpx.post(
            f"http://127.0.0.1:{port}/_emulator/faults",
            json={"latency_ms": args.latency_ms},
            timeout=10,
        ).raise_for_status()
        world(settings, args.messages, args.organizations)
        activate(
            settings, SenderConfig(max_batches=0), passes=1
        )  # claim the schedule into the outbox
        config = SenderConfig(in_flight=args.in_flight, batch=2000, callback_url="")  # no listener
        emulator_cpu = psutil.Process(emulator.pid).cpu_times()
        own_cpu = psutil.Process().cpu_times()
        started = time.perf_counter()
        report = activate(settings, config, passes=1)
        seconds = time.perf_counter() - started
        emulator_used = sum(psutil.Process(emulator.pid).cpu_times()[:2]) - sum(emulator_cpu[:2])
        own_used = sum(psutil.Process().cpu_times()[:2]) - sum(own_cpu[:2])
        sent = report.outcomes["sent"]
        if sent != args.messages:
            raise SystemExit(f"sent {sent} of {args.messages}: {report.outcomes}")
        rate = sent / seconds

        client = sync_client(settings)
        started = time.perf_counter()
        for n in range(args.baseline):
            client.messages.create(
                to=f"whatsapp:+2548{n:08d}",
                from_=f"whatsapp:+1555{n % args.organizations:07d}",
                content_sid=TEMPLATE,
                content_variables='{"1": "Amina"}',
            )
        baseline = args.baseline / (time.perf_counter() - started)
        log = httpx.get(f"http://127.0.0.1:{port}/_emulator/log", timeout=60).json()
        sends = [m for m in log if m["to"].startswith("whatsapp:+2547")]
        assert len(sends) == len({m["to"] for m in sends}) == args.messages, (
            "each message exactly once"
        )
    finally:
        emulator.terminate()
        emulator.wait()
    print(
        f"activation to the Twilio emulator ({args.latency_ms:g} ms per answer), "
        f"{args.organizations} sender numbers, SQLite outbox, {args.in_flight} in flight"
    )
    print(
        f"  sender (claim, checks, async SDK, record)  {sent} messages in {seconds:.1f} s = {rate:,.0f} sends/s"
    )
    print(
        f"  CPU while sending: sender {own_used:.1f} s, emulator {emulator_used:.1f} s "
        f"(2 cores x {seconds:.1f} s = {2 * seconds:.1f} s available)"
    )
    print(
        f"  plain sequential client.messages.create     {args.baseline} messages = {baseline:,.0f} sends/s (baseline)"
    )
    print(
        f"  ratio: {rate / baseline:.1f}x the sequential loop "
        "(targets: at least 20x, and at least 1,000 sends/s)"
    )


if __name__ == "__main__":
    main()
