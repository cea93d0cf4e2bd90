"""The notifier at scale: a first build's notifications for 200 organizations claimed into the
store, then their emails delivered to a real local SMTP server.

Claiming is measured against a per-row notifier written the obvious way, in the same run: per
row, look the key up, read the recipient and the organization's admins, write the notification
and its deliveries through the ORM, one transaction each. Delivery is measured against the floor
of the same mails handed to the same server over one connection with smtplib, no store at all.

The world: `--organizations` organizations, each with an admin and a program manager who manages
its program, and `--notices` wellbeing declines (a million workers raise about 37,000: 3.7% of
them decline on a first build, as in the simulated worlds), to the manager in the inbox and by
email. Each side starts from the same store file (copied), in its own process.

    python bench/bench_notifications.py                       # 37,000 notices, 2,000 mails sent
    python bench/bench_notifications.py --notices 5000 --mails 500
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import sys
import tempfile
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import GIB, measure
from coaching.lake import published_mart

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def prepare(folder: Path, organizations: int, notices: int) -> None:
    from bench.measure import folder_store
    from coaching.store import migrate
    from coaching.store.bulk import insert_rows
    from coaching.store.types import new_id

    engine = folder_store(folder)
    migrate.upgrade(engine)
    stamp = {"created_at": NOW, "updated_at": NOW}
    tables: dict[str, list[dict]] = {
        "organizations": [], "users": [], "journeys": [], "programs": [], "workers": []
    }  # fmt: skip
    due = []
    per_org = notices // organizations
    for o in range(organizations):
        org, admin, manager, journey, program = (new_id() for _ in range(5))
        tables["organizations"].append({"id": org, "name": f"Org {o}", "slug": f"o{o}",
            "type": "client", "tier": "premium", "approval_status": "approved",
            "timezone": "UTC", "monthly_message_quota": 10**6, "sms_fallback_enabled": False,
            "experiment_defaults": {}, **stamp})  # fmt: skip
        for user, role in ((admin, "admin"), (manager, "program_manager")):
            tables["users"].append({"id": user, "organization_id": org, "role": role,
                "email": f"{role}@o{o}.example.org", "full_name": role, "is_active": True,
                **stamp})  # fmt: skip
        tables["journeys"].append({"id": journey, "organization_id": org, "name": "J",
            "status": "published", "languages": ["en"], "is_marketplace_listed": False,
            **stamp})  # fmt: skip
        tables["programs"].append({"id": program, "organization_id": org, "name": f"P{o}",
            "journey_id": journey, "status": "active", "starts_on": date(2026, 10, 1),
            "holdout_share": 0.1, "channel": "whatsapp", "on_segment_exit": "keep",
            "max_sync_change_share": 0.25, "objectives": {}, "manager_id": manager,
            **stamp})  # fmt: skip
        for w in range(per_org):
            worker = new_id()
            tables["workers"].append({"id": worker, "organization_id": org, "language": "en",
                "phone_e164": f"+2547{o:03d}{w:05d}", "timezone": "UTC", "attributes": {},
                "display_name": f"Worker {o}-{w}", **stamp})  # fmt: skip
            due.append({"notification_key": f"wellbeing_decline:{worker}:2026-11-01",
                "organization_id": org, "kind": "wellbeing_decline", "subject_type": "worker",
                "subject_id": worker, "period": "2026-11-01", "severity": "warning",
                "recipient_user_id": manager, "recipient_role": None, "program_id": program,
                "measured": 2.0, "reference": 3.7, "detail": "5 check-ins"})  # fmt: skip
    with engine.begin() as connection:
        for table, rows in tables.items():
            insert_rows(connection, table, rows)
    engine.dispose()
    target = published_mart(folder / "lake", "notifications_due")
    target.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(due), target)


def _settings(folder: Path):
    from coaching.settings import Settings

    return Settings(home=folder, database_url=f"sqlite:///{folder / 'store.db'}",
                    smtp_host="127.0.0.1", smtp_port=int(os.environ.get("BENCH_SMTP_PORT", "25")))  # fmt: skip


def run_claim(folder: Path) -> None:
    from activation.notifications.claim import claim, read_due
    from coaching.store.engine import store_engine

    settings = _settings(folder)
    engine = store_engine(settings)
    report = claim(engine, read_due(settings.lake_dir or ""), NOW, email_enabled=True)
    print(report.claimed, sum(report.deliveries.values()))


def run_naive_claim(folder: Path) -> None:
    """A notifier written row by row: a lookup, the recipient, the notification and its two
    deliveries, one transaction per notice."""
    from sqlalchemy import select

    from activation.notifications.claim import read_due
    from activation.notifications.templates import render
    from coaching.store.engine import store_engine, transaction
    from coaching.store.tables import Notification, NotificationDelivery, User, Worker

    settings = _settings(folder)
    engine = store_engine(settings)
    claimed = deliveries = 0
    for row in read_due(settings.lake_dir or ""):
        with transaction(engine) as session:
            if session.scalar(
                select(Notification.id).where(Notification.key == row["notification_key"])
            ):
                continue
            user = session.get(User, row["recipient_user_id"])
            worker = session.get(Worker, row["subject_id"])
            title, body = render(row["kind"], {**row, "worker": worker.display_name,
                                               "program": None, "organization": ""})  # fmt: skip
            notice = Notification(organization_id=row["organization_id"],
                key=row["notification_key"], kind=row["kind"], subject_type="worker",
                subject_id=row["subject_id"], period=row["period"], severity="warning",
                title=title, body=body, data={})  # fmt: skip
            session.add(notice)
            session.flush()
            for channel, destination in (("inbox", "inbox"), ("email", user.email)):
                session.add(NotificationDelivery(organization_id=notice.organization_id,
                    notification_id=notice.id, channel=channel, user_id=user.id,
                    idempotency_key=f"{notice.key}|{channel}|{user.id}", destination=destination,
                    status="sent" if channel == "inbox" else "pending", next_attempt_at=NOW))  # fmt: skip
                deliveries += 1
            claimed += 1
    print(claimed, deliveries)


def run_deliver(folder: Path, mails: int) -> None:
    """The notifier's delivery of the first `mails` pending emails (the rest left for later)."""
    from sqlalchemy import select, update

    from activation.notifications.deliver import Deliverer
    from coaching.store.engine import store_engine, transaction
    from coaching.store.tables import NotificationDelivery

    settings = _settings(folder)
    engine = store_engine(settings)
    with transaction(engine) as session:
        later = select(NotificationDelivery.id).where(NotificationDelivery.channel == "email")
        keep = list(session.scalars(later.limit(mails)))
        session.execute(update(NotificationDelivery).where(NotificationDelivery.channel == "email",
                        NotificationDelivery.id.not_in(keep)).values(next_attempt_at=datetime(2099, 1, 1, tzinfo=UTC)))  # fmt: skip
    report = Deliverer(settings, engine, clock=lambda: NOW).run()
    print(report.sent["email"])


def run_floor(folder: Path, mails: int) -> None:
    """The same number of mails over one SMTP connection: what the server itself allows."""
    settings = _settings(folder)
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port) as client:
        for i in range(mails):
            message = EmailMessage()
            message["From"], message["To"] = settings.smtp_sender, f"m{i}@example.org"
            message["Subject"] = "Wellbeing check-in: Worker may need a conversation"
            message.set_content("Worker answered 2 of 5 on 2026-11-01.")
            client.send_message(message)
    print(mails)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--notices", type=int, default=37_000)
    parser.add_argument("--mails", type=int, default=2_000)
    parser.add_argument("side", nargs="?",
                        choices=["prepare", "claim", "naive", "deliver", "floor"])  # fmt: skip
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    sides = {"claim": run_claim, "naive": run_naive_claim}
    if args.side == "prepare":
        return prepare(args.folder, args.organizations, args.notices)
    if args.side in sides:
        return sides[args.side](args.folder)
    if args.side in ("deliver", "floor"):
        return (run_deliver if args.side == "deliver" else run_floor)(args.folder, args.mails)

    from activation.notifications.receivers import LocalSMTPServer

    root = Path(tempfile.mkdtemp(prefix="coach-bench-notify-"))
    try:
        base = root / "base"
        base.mkdir()
        size = ["--organizations", str(args.organizations), "--notices", str(args.notices)]
        prepared = measure([sys.executable, __file__, "prepare", "--folder", str(base), *size])
        print(f"world: {args.notices:,} wellbeing declines in {args.organizations} organizations, "
              f"prepared in {prepared.seconds:.1f} s")  # fmt: skip
        results = {}
        for side in ("naive", "claim"):
            folder = root / side
            shutil.copytree(base, folder)
            results[side] = measure([sys.executable, __file__, side, "--folder", str(folder)])
            claimed, deliveries = results[side].stdout.split()
            print(f"{side:>6}: {results[side].seconds:7.1f} s, peak "
                  f"{results[side].peak_rss / GIB:.2f} GiB, {int(claimed):,} notices, "
                  f"{int(deliveries):,} deliveries")  # fmt: skip
        assert results["claim"].stdout == results["naive"].stdout, "both sides must agree"
        print(f"claim: {results['naive'].seconds / results['claim'].seconds:.1f}x faster than "
              "the per-row notifier")  # fmt: skip
        with LocalSMTPServer() as smtp:
            env = {**os.environ, "BENCH_SMTP_PORT": str(smtp.port)}
            mails = ["--mails", str(args.mails)]
            folder = root / "claim"
            floor = measure(
                [sys.executable, __file__, "floor", "--folder", str(folder), *mails], env
            )
            sent = measure(
                [sys.executable, __file__, "deliver", "--folder", str(folder), *mails], env
            )
        print(f" floor: {args.mails:,} mails over one SMTP connection in {floor.seconds:.1f} s "
              f"({args.mails / floor.seconds:,.0f}/s)")  # fmt: skip
        print(f"deliver: {int(sent.stdout):,} mails through the notifier in {sent.seconds:.1f} s "
              f"({int(sent.stdout) / sent.seconds:,.0f}/s, peak {sent.peak_rss / GIB:.2f} GiB): "
              f"{sent.seconds / floor.seconds:.1f}x the floor")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
