"""How the automation that ships stopped is started: a laptop's `make dagster` must launch no run
by itself, while a deployment turns on what it wants."""

START = (
    "start it in the UI (Automation) or with `dagster {kind} start {name} "
    "-w orchestration/deploy/workspace.yaml`."
)
