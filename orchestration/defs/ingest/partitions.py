"""How the partitioned bronze tables are cut: message events by UTC day, HR exports by file."""

import dagster as dg

# Partitions start at the earliest day a raw event file may hold; the sensor only requests days
# that files cover, so earlier days are never built.
EVENT_DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)
HR_FILE_PARTITIONS = {
    "hr_roster": dg.DynamicPartitionsDefinition(name="hr_roster_files"),
    "hr_performance": dg.DynamicPartitionsDefinition(name="hr_performance_files"),
}
