"""Ingestion logic as plain functions, so it is testable without Dagster and reusable by the CLI;
the Dagster assets in `orchestration.defs` are thin wrappers around these."""
