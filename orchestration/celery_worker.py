"""The Celery app a worker runs to execute Dagster steps, with the broker from settings:

    COACH_CELERY_BROKER_URL=amqp://guest:guest@broker:5672// \
        celery -A orchestration.celery_worker worker -Q dagster --concurrency 2

A worker needs this repository installed (it loads the code location to run a step), the same
settings as the runs (the store, the lake and the warehouse it writes) and the same Dagster
instance (DAGSTER_HOME).
"""

from __future__ import annotations

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from coaching.settings import get_settings
from orchestration.executors import QUEUE, RESULT_BACKEND

_settings = get_settings()
app = make_app(
    {
        "broker": _settings.celery_broker_url or "pyamqp://guest@localhost//",
        "backend": RESULT_BACKEND,
    }
)
app.conf.task_default_queue = QUEUE
execute_plan = create_task(app)
