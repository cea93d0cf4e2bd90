"""How the partitioned bronze tables are cut: message events by UTC day, HR exports by file."""

from datetime import date

import dagster as dg

# In-process runs (the demo, `coach ingest`, the tests) may ingest any day from here on; the code
# location starts its partitions where the lake's events start (`event_days_from` in
# orchestration/definitions.py), so the UI counts no "missing" day before the data.
FLOOR = date(2025, 1, 1)


def event_days_from(start: date) -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from `start` to tomorrow (a worker ahead of UTC writes today)."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1)


EVENT_DAYS = event_days_from(FLOOR)
HR_FILE_PARTITIONS = {
    "hr_roster": dg.DynamicPartitionsDefinition(name="hr_roster_files"),
    "hr_performance": dg.DynamicPartitionsDefinition(name="hr_performance_files"),
}
