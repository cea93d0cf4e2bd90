"""The dbt build's progress is read from dbt's own log lines, and the log's tail is kept."""

import io

from rich.console import Console

from orchestration.lib.progress import DbtLog

LOG = (
    "12:00:00  Running with dbt=1.11.0\n"
    "12:00:01  1 of 3 START sql view model staging.stg_store__workers .... [RUN]\n"
    "12:00:01  1 of 3 OK created sql view model staging.stg_store__workers [OK in 0.10s]\n"
    "12:00:02  2 of 3 START test not_null_workers_worker_id ............ [RUN]\n"
    "12:00:02  2 of 3 FAIL 4 not_null_workers_worker_id ............. [FAIL 4 in 0.05s]\n"
    "12:00:03  3 of 3 PASS unique_workers_worker_id"
)


def test_each_finished_node_advances_the_count_and_failures_are_counted() -> None:
    log = DbtLog(console=Console(file=io.StringIO()))
    with log:
        for part in (LOG[:50], LOG[50:170], LOG[170:]):  # writes split lines anywhere
            log.write(part)
    assert (log.finished, log.total, log.failures) == (2, 3, 1)  # the last line is unfinished
    log.write("\n")
    assert (log.finished, log.failures) == (3, 1)
    assert log.tail(2).splitlines() == LOG.splitlines()[-2:]


def test_on_a_terminal_the_bar_shows_the_count_and_the_node_running() -> None:
    screen = io.StringIO()
    log = DbtLog(console=Console(file=screen, force_terminal=True, width=120))
    with log:
        log.write(LOG + "\n")
    shown = screen.getvalue()
    assert "3/3" in shown and "dbt build" in shown
