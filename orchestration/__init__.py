"""Orchestration: the Dagster project (definitions under `defs/`, helpers under `lib/`)."""
