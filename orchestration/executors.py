"""Where a run's steps execute: in the run's own processes (the embedded default), or, with
COACH_CELERY_BROKER_URL, on Celery workers that may run on other machines (dagster-celery: each
step is a Celery task on the `dagster` queue; the workers load this code location and write to
the same Dagster instance, so the instance must be shared, e.g. on PostgreSQL:
`deploy/dagster-cluster.yaml`)."""

from __future__ import annotations

import dagster as dg

from coaching.settings import Settings

RESULT_BACKEND = "rpc://"  # results come back over the broker itself
QUEUE = "dagster"


def project_executor(settings: Settings) -> dg.ExecutorDefinition | None:
    """None keeps Dagster's default (multiprocess, or in process for tests and the demo)."""
    if not settings.celery_broker_url:
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {"broker": settings.celery_broker_url, "backend": RESULT_BACKEND}
    )
