import dagster as dg

from coaching.settings import get_settings
from orchestration.executors import project_executor
from orchestration.resources import default_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=default_resources(), executor=project_executor(get_settings()))
