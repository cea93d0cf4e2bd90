"""The journey state machine on a simulated world against the simulator's planted truth: the
branches its days took reach the warehouse as sends of the branch touchpoints, and the branches
pending at the end (who answered wrong, checked in low, went silent, asked for a coach) are the
ones `journey_states` finds and the schedule plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from coaching.settings import Settings
from tests.coaching.simulator.truth import store_table
from tests.worlds import published

# Planted faults that lose or garble an event (duplicates lose nothing).
LOSSY = ("duplicate_delivery",)


@pytest.fixture(scope="module")
def built(built_world: tuple[Settings, dict[str, Any], Any]) -> tuple[Settings, dict[str, Any]]:
    return built_world[0], built_world[1]


def _gold(settings: Settings, mart: str) -> str:
    return published(settings.lake_dir, mart)


def _touched_by_planted_faults(settings: Settings, manifest: dict[str, Any]) -> set[str]:
    """Workers one of whose events the simulator planted as bad: their history in the warehouse
    legitimately differs from the simulator's own."""
    raw = Path(settings.lake_dir) / "raw" / "message_events"
    truth = Path(settings.simulation_dir) / manifest["truth_file"]
    rows = duckdb.sql(
        f"""
        with events as (select * from read_parquet('{raw}/*.parquet', union_by_name = true)),
        bad as (
            select split_part(key, ':', 1) as sid from read_parquet('{truth}')
            where kind not in {LOSSY!r}
        )
        select distinct coalesce(events.worker_id, outbound.worker_id)
        from events
        left join events as outbound
            on outbound.message_sid = events.message_sid and outbound.kind = 'outbound'
        where events.message_sid in (select sid from bad)
        """
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def test_pending_branches_are_the_planted_ones(built) -> None:
    settings, manifest = built
    planted = manifest["journey_rules"]
    found = dict(
        duckdb.sql(
            f"""
            select rule_kind, count(*) from {_gold(settings, "journey_states")}
            where transition = 'rule' and enrollment_status = 'active' and not is_holdout
            group by rule_kind
            """
        ).fetchall()
    )
    slack = len(_touched_by_planted_faults(settings, manifest))
    assert sum(v["pending"] for v in planted.values()) > 20
    for kind, truth in planted.items():
        assert abs(found.get(kind, 0) - truth["pending"]) <= slack, (kind, found, planted)


def test_branches_taken_reach_the_warehouse_and_the_flow_returns(built) -> None:
    settings, manifest = built
    touchpoints = store_table(settings, "touchpoints").to_pylist()
    branches = {t["id"]: t for t in touchpoints if t["branch"]}
    sends = dict(
        duckdb.sql(
            f"""
            select touchpoint_id, count(*) from {_gold(settings, "messages")}
            where not is_follow_up group by touchpoint_id
            """
        ).fetchall()
    )
    taken_by_kind: dict[str, int] = {}
    for tp in touchpoints:
        rules = json.loads(tp["rules"]) if isinstance(tp["rules"], str) else tp["rules"]
        for rule in rules or []:
            target = next(
                t["id"]
                for t in touchpoints
                if t["journey_id"] == tp["journey_id"] and t["position"] == rule["goto_position"]
            )
            kind = rule["when"]["kind"]
            taken_by_kind[kind] = taken_by_kind.get(kind, 0) + sends.get(target, 0)
            assert target in branches
    slack = len(_touched_by_planted_faults(settings, manifest))
    taken = {kind: truth["taken"] for kind, truth in manifest["journey_rules"].items()}
    assert taken["quiz_answer"] > 20 and taken["no_reply"] > 20
    for kind, count in taken.items():
        assert abs(taken_by_kind.get(kind, 0) - count) <= slack, (kind, taken_by_kind, taken)
    # Nobody is stuck on a branch: after one, the flow goes back to the main journey.
    stuck = duckdb.sql(
        f"""
        select count(*) from {_gold(settings, "journey_states")} as states
        where states.transition = 'flow'
            and states.next_touchpoint_id in ({", ".join(repr(i) for i in branches)})
        """
    ).fetchall()[0][0]
    assert stuck == 0


def test_the_schedule_sends_the_branch_the_state_machine_chose(built) -> None:
    settings, _ = built
    mismatched = duckdb.sql(
        f"""
        select count(*)
        from {_gold(settings, "activation_schedule")} as schedule
        left join {_gold(settings, "journey_states")} as states
            on states.enrollment_id = schedule.enrollment_id
        where not schedule.is_follow_up
            and (states.next_touchpoint_id is distinct from schedule.touchpoint_id
                or states.next_local_date is distinct from schedule.local_date)
        """
    ).fetchall()[0][0]
    planned_branches = duckdb.sql(
        f"""
        select count(*) from {_gold(settings, "activation_schedule")} as schedule
        inner join {_gold(settings, "journey_states")} as states using (enrollment_id)
        where not schedule.is_follow_up and states.transition = 'rule'
        """
    ).fetchall()[0][0]
    assert mismatched == 0 and planned_branches > 0
