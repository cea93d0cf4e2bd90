"""In-process runs of the code location's assets: ingest, the dbt build with publishing, and an
activation pass, for the `coach` commands, the demo and tests. The same assets the Dagster UI
runs; runs are recorded in the given Dagster instance (the embedded default uses
`$COACH_HOME/dagster`, so `make dagster` shows them afterwards)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from coaching.settings import Settings
from orchestration.defs.ingest.assets import (
    INGEST_ASSETS,
    hr_assets,
    landing_files,
    message_events,
    operational_assets,
    store_message_events,
)
from orchestration.defs.ingest.partitions import HR_FILE_PARTITIONS
from orchestration.keys import ACTIVATION_ENROLLMENTS, ACTIVATION_SENDS
from orchestration.lib.bronze_build import (
    contiguous,
    event_days,
    hr_files,
    stale_event_days,
    stale_hr_files,
)
from orchestration.lib.progress import DbtLog, working
from orchestration.lib.warehouse import prepare_manifest
from orchestration.resources import default_resources

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# In-process runs log to the console at WARNING: the demo prints its own progress.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class TableCounts:
    rows_in: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0


@dataclass
class IngestSummary:
    tables: dict[str, TableCounts] = field(default_factory=dict)
    files_accepted: int = 0
    files_rejected: int = 0
    files_duplicate: int = 0
    quarantined_at_intake: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)

    def add(self, table: str, metadata: dict) -> None:
        counts = self.tables.setdefault(table, TableCounts())
        for name in ("rows_in", "rows_landed", "rows_quarantined", "duplicates_dropped"):
            if name in metadata:
                setattr(counts, name, getattr(counts, name) + int(metadata[name].value))


INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder of the embedded default, with the project's instance config."""
    home = Path(settings.home) / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_CONFIG, config)
    return home


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home(settings)))


def _collect(result: dg.ExecuteInProcessResult, summary: IngestSummary) -> None:
    seen: set[tuple[str, ...]] = set()
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        key = materialization.asset_key.path
        # A single-run backfill reports one materialization per partition, each carrying the
        # run's totals: count them once.
        if tuple(key) in seen:
            continue
        seen.add(tuple(key))
        metadata = materialization.metadata
        if key == ["raw", "landing_files"]:
            summary.files_accepted += int(metadata["files_accepted"].value)
            summary.files_rejected += int(metadata["files_rejected"].value)
            summary.files_duplicate += int(metadata["files_duplicate"].value)
            for record in metadata["rows_quarantined_by_table"].records:  # type: ignore[attr-defined]
                table, count = record.data["table"], int(record.data["rows_quarantined"])
                summary.quarantined_at_intake[table] = (
                    summary.quarantined_at_intake.get(table, 0) + count
                )
        elif key[0] == "bronze":
            summary.add(key[1], metadata)
    summary.failed_checks += _failed_checks(result)


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        f"{event.asset_key.to_user_string()}:{event.check_name}"
        for event in result.get_asset_check_evaluations()
        if not event.passed
    ]


def _run(
    job: str, assets: list, selection: list[dg.AssetKey], resources: dict,
    instance: dg.DagsterInstance, span: tuple[str, str] | None = None, raise_on_error: bool = True,
    spinner: bool = True,
) -> dg.ExecuteInProcessResult:  # fmt: skip
    """One in-process run under the name of the code location's job that runs the same assets
    (so ops find it in the Dagster UI by that name); `span` makes it a single-run backfill of
    that partition range. Without `spinner` the caller shows its own progress."""
    definitions = dg.Definitions(
        assets=assets,
        jobs=[dg.define_asset_job(job, selection=dg.AssetSelection.assets(*selection))],
        resources=resources,
    )
    label = job if span is None else f"{job} {span[0]}..{span[1]}"
    with working(label) if spinner else contextlib.nullcontext():
        return definitions.resolve_job_def(job).execute_in_process(
            run_config=QUIET,
            instance=instance,
            tags={RANGE_START: span[0], RANGE_END: span[1]} if span else None,
            raise_on_error=raise_on_error,
        )


def ingest(
    settings: Settings,
    instance: dg.DagsterInstance | None = None,
    progress: Callable[[str], None] = lambda _m: None,
    full_refresh: bool = False,
) -> IngestSummary:
    """Store tables, landing files, then the bronze partitions their raw files changed.

    Bronze partitions are rebuilt only where their raw files changed since the last build (a day
    a new store batch or export covers, a new HR file); `full_refresh` rebuilds every partition,
    to the same files.
    """
    # The simulator and other in-process writers publish landing files by rename: no settling.
    resources = default_resources(settings, landing_settle_seconds=0)
    instance = instance or dg.DagsterInstance.ephemeral()
    summary = IngestSummary()
    progress("ingest: operational tables, store events and landing files")
    store = [*(a.key for a in operational_assets), store_message_events.key]
    _collect(_run("hourly_ingest_job", INGEST_ASSETS, store, resources, instance), summary)
    _collect(
        _run("landing_intake_job", INGEST_ASSETS, [landing_files.key], resources, instance),
        summary,
    )
    lake = resources["lake"].lake  # type: ignore[attr-defined]
    days = event_days(lake) if full_refresh else stale_event_days(lake)
    if days:
        progress(f"ingest: message events for {len(days)} days")
    for first, last in contiguous(days):
        span = (first.isoformat(), last.isoformat())
        _collect(
            _run(
                "bronze_events_job", INGEST_ASSETS, [message_events.key], resources, instance, span
            ),
            summary,
        )
    for asset in hr_assets:
        table = asset.key.path[-1]
        files = hr_files(lake, table)
        known = set(instance.get_dynamic_partitions(HR_FILE_PARTITIONS[table].name))
        instance.add_dynamic_partitions(
            HR_FILE_PARTITIONS[table].name, [f for f in files if f not in known]
        )
        ordered = instance.get_dynamic_partitions(HR_FILE_PARTITIONS[table].name)
        wanted = set(files if full_refresh else stale_hr_files(lake, table)) & set(ordered)
        if wanted:
            progress(f"ingest: {table} ({len(wanted)} files)")
            # One single-run backfill over the range holding them (files between are rebuilt
            # to the same partitions).
            positions = [ordered.index(f) for f in wanted]
            span = (ordered[min(positions)], ordered[max(positions)])
            job = f"bronze_{table}_job"
            _collect(_run(job, INGEST_ASSETS, [asset.key], resources, instance, span), summary)
    return summary


@dataclass
class TransformSummary:
    published: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)


def transform(
    settings: Settings,
    instance: dg.DagsterInstance | None = None,
    as_of: str = "",
    progress: Callable[[str], None] = lambda _m: None,
) -> TransformSummary:
    """`dbt build` through the Dagster dbt assets, then publish the marts as Parquet."""
    prepare_manifest()  # the dbt assets are defined from it
    from orchestration.defs.transform.assets import dbt_models, published_marts

    resources = default_resources(settings, landing_settle_seconds=0, as_of=as_of)
    instance = instance or dg.DagsterInstance.ephemeral()
    progress("dbt build: staging, intermediate, marts (with data and unit tests)")
    # dagster-dbt echoes every dbt log line to stdout: it drives the progress bar, and its tail is
    # kept for when something fails.
    with DbtLog() as dbt_log, contextlib.redirect_stdout(dbt_log):
        result = _run(
            "transform_job",
            [*INGEST_ASSETS, dbt_models, published_marts],
            [*dbt_models.keys, *published_marts.keys],
            resources, instance, raise_on_error=False, spinner=False,
        )  # fmt: skip
    if not result.success:
        raise RuntimeError("dbt build failed:\n" + dbt_log.tail())
    summary = TransformSummary()
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        if materialization.asset_key.path[0] == "gold":
            rows = materialization.metadata["dagster/row_count"].value
            summary.published[materialization.asset_key.path[1]] = int(rows)  # type: ignore[arg-type]
    summary.failed_checks += _failed_checks(result)
    return summary


def retention(settings: Settings, instance: dg.DagsterInstance | None = None) -> dict[str, Any]:
    """One run of `retention_job` in-process: what the purge removed (the next `transform`
    makes the warehouse again)."""
    from orchestration.defs.retention.jobs import retention_job

    definitions = dg.Definitions(jobs=[retention_job], resources=default_resources(settings))
    result = definitions.resolve_job_def("retention_job").execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), run_config=QUIET
    )
    return result.output_for_node("purge_past_retention")


def describe_ingest(summary: IngestSummary) -> str:
    lines = [
        f"Ingested: {summary.files_accepted} landing files taken in, "
        f"{summary.files_rejected} rejected, {summary.files_duplicate} duplicates",
        f"  {'table':<24}{'rows in':>10}{'landed':>10}{'quarantined':>13}{'(at intake)':>12}"
        f"{'duplicates':>12}",
    ]
    for table, c in sorted(summary.tables.items()):
        intake = summary.quarantined_at_intake.get(table, 0)
        lines.append(
            f"  {table:<24}{c.rows_in + intake:>10}{c.rows_landed:>10}"
            f"{c.rows_quarantined + intake:>13}{intake:>12}{c.duplicates_dropped:>12}"
        )
    if summary.failed_checks:
        lines.append(f"  failed checks: {', '.join(summary.failed_checks)}")
    return "\n".join(lines)


def activate(settings: Settings, instance: dg.DagsterInstance | None = None) -> dict[str, int]:
    """One activation pass through the Dagster assets, in-process (the enrollment sync, then the
    sender); returns the metadata of both, the sync's under `enrollments_<name>`."""
    prepare_manifest()
    from orchestration.defs.activation.assets import activation_sends, enrollment_sync
    from orchestration.defs.transform.assets import published_marts

    resources = default_resources(settings, landing_settle_seconds=0)
    result = _run(
        "activation_job",
        [enrollment_sync, activation_sends, published_marts],
        [ACTIVATION_ENROLLMENTS, ACTIVATION_SENDS],
        resources,
        instance or dg.DagsterInstance.ephemeral(),
    )
    counts: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        prefix = "enrollments_" if materialization.asset_key == ACTIVATION_ENROLLMENTS else ""
        for name, value in materialization.metadata.items():
            if isinstance(value.value, int):
                counts[prefix + name] = value.value
    return counts
