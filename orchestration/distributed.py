"""Jobs of the code location as module-level functions, so Dagster can rebuild them in another
process (`dg.reconstructable`): what `dagster job execute` and the Celery workers need to run one
of the project's jobs outside the process that defined it."""

from __future__ import annotations

import dagster as dg


def project_job(name: str) -> dg.JobDefinition:
    from orchestration.definitions import defs

    return defs().resolve_job_def(name)


def hourly_ingest_job() -> dg.JobDefinition:
    """The store's changes copied to the lake: one step per bronze table."""
    return project_job("hourly_ingest_job")
