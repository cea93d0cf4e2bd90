"""Sensors of ingestion.

- `landing_files_sensor` starts an intake run when files appear in the landing folder;
- `bronze_partitions_sensor` starts partition runs for what new raw files cover: the days of new
  event files (one run per contiguous range of days) and each new HR file.
"""

import hashlib
import json
from datetime import date, timedelta

import dagster as dg

from orchestration.defs.ingest.jobs import bronze_events_job, hr_jobs, landing_intake_job
from orchestration.defs.ingest.partitions import EVENT_DAYS, HR_FILE_PARTITIONS
from orchestration.lib.automation import START
from orchestration.lib.bronze_build import contiguous, hr_files, raw_event_index
from orchestration.lib.intake import pending_files
from orchestration.resources import LakeResource


@dg.sensor(
    job=landing_intake_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts an intake run when the set of files waiting in the landing folder changes. "
    + "Ships stopped (a laptop's `make dagster` starts no run by itself): "
    + START.format(kind="sensor", name="landing_files_sensor"),
)
def landing_files_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    files = pending_files(lake.landing, lake.landing_settle_seconds)
    if not files:
        return dg.SkipReason("no files waiting in the landing folder")
    fingerprint = hashlib.sha256(
        json.dumps([(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]).encode()
    ).hexdigest()[:16]
    if fingerprint == context.cursor:
        return dg.SkipReason("intake already requested for these files")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=f"intake-{fingerprint}")


def _first_event_day(context: dg.SensorEvaluationContext) -> date:
    """The first day the loaded code location partitions events by (it starts where the lake's
    data started when it loaded: orchestration/definitions.py); outside a code location, the
    partitions the assets are defined with."""
    repository = context.repository_def  # None in a sensor context built without one
    partitions = repository.get_job(bronze_events_job.name).partitions_def if repository else None
    partitions = partitions or EVENT_DAYS
    return date.fromisoformat(partitions.get_first_partition_key())  # type: ignore[union-attr]


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    jobs=[bronze_events_job, *hr_jobs.values()],
    description="Starts bronze partition runs for the days and files that new raw files cover. "
    + "Ships stopped: "
    + START.format(kind="sensor", name="bronze_partitions_sensor"),
)
def bronze_partitions_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    fresh = [
        (path.name, low, high)
        for path, low, high in raw_event_index(lake.lake)
        if path.name not in seen
    ]
    new_events = [name for name, _, _ in fresh]
    days: list[date] = []
    for _, low, high in fresh:
        days += [low + timedelta(days=i) for i in range((high - low).days + 1)]
    first = _first_event_day(context)
    if early := sorted(d for d in days if d < first):
        context.log.warning(
            f"raw events cover {len(early)} days before the first partition ({first}), from "
            f"{early[0]}: reload the code location to extend the partitions back, then backfill "
            "those days (or run `coach ingest --full-refresh`)"
        )
        days = [d for d in days if d >= first]
    requests = []
    for low, high in contiguous(days):
        requests.append(
            dg.RunRequest(
                job_name=bronze_events_job.name,
                run_key=f"events-{low}-{high}-{len(seen)}",
                tags={
                    "dagster/asset_partition_range_start": low.isoformat(),
                    "dagster/asset_partition_range_end": high.isoformat(),
                },
            )
        )
    partition_requests = []
    new_files: list[str] = []
    for table, partitions in HR_FILE_PARTITIONS.items():
        new = [f for f in hr_files(lake.lake, table) if f"{table}/{f}" not in seen]
        if new:
            partition_requests.append(partitions.build_add_request(new))
            requests += [
                dg.RunRequest(job_name=hr_jobs[table].name, partition_key=f, run_key=f"{table}-{f}")
                for f in new
            ]
            new_files += [f"{table}/{f}" for f in new]
    if not requests:
        return dg.SkipReason("no new raw files")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=partition_requests,
        cursor=json.dumps(sorted(seen | set(new_events) | set(new_files))),
    )
