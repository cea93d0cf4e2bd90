"""The simulator against its own manifest: what it says it planted is what its files show."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from coaching.errors import ConfigurationError, InputError
from coaching.simulator import run as simulator_run
from coaching.simulator.dirty import QUARANTINE_KINDS
from coaching.simulator.run import simulate
from tests.coaching.simulator.conftest import run_small, small_config
from tests.coaching.simulator.truth import (
    all_events,
    bad_hr_lines,
    landing_violations,
    reply_rates,
    store_table,
)
from tests.conftest import make_settings


def test_world_has_every_kind_of_organization(simulated) -> None:
    _, manifest = simulated
    orgs = manifest["organizations"]
    assert {o["type"] for o in orgs} == {"client", "expert"}
    assert {o["tier"] for o in orgs} == {"basic", "standard", "premium"}
    assert len({o["timezone"] for o in orgs}) >= 4
    assert sum(o["workers"] for o in orgs) == manifest["counts"]["workers"] == 6_000


def test_store_holds_what_the_manifest_counts(simulated) -> None:
    settings, manifest = simulated
    rows = manifest["store"]["rows"]
    for table in ("organizations", "users", "workers", "segments", "journeys", "touchpoints",
                  "programs", "enrollments", "experiments", "experiment_assignments"):  # fmt: skip
        assert rows[table] == manifest["counts"][table], table
    assert rows["message_events"] == manifest["events"]["store"] > 0
    workers = store_table(settings, "workers").to_pylist()
    opted_out = [w for w in workers if w["whatsapp_opt_out_at"] is not None]
    assert len(opted_out) == manifest["counts"]["opted_out_workers"] > 0


def test_planted_lifts_are_what_the_events_show(simulated) -> None:
    """Recompute each arm's 24 h reply rate from raw events and compare with the planted lift."""
    settings, manifest = simulated
    measured = reply_rates(all_events(settings))
    journey_experiments = [e for e in manifest["experiments"] if e["level"] == "journey"]
    assert journey_experiments
    for experiment in journey_experiments:
        control = next(v for v in experiment["variants"] if v["is_control"])
        c_n, c_r = measured[control["id"]]
        # Read back from files, the arm sizes match what the simulator counted (dirt aside).
        assert c_n == pytest.approx(control["delivered_messages"], rel=0.05)
        for variant in experiment["variants"]:
            if variant["is_control"]:
                continue
            t_n, t_r = measured[variant["id"]]
            lift = t_r / t_n - c_r / c_n
            p = (t_r + c_r) / (t_n + c_n)
            se = math.sqrt(p * (1 - p) * (1 / t_n + 1 / c_n))
            assert abs(lift - variant["planted_reply_lift"]) < 4 * se, (experiment["name"], lift)


def test_the_biggest_planted_lift_is_visible(simulated) -> None:
    settings, manifest = simulated
    measured = reply_rates(all_events(settings))
    best = max(
        (e for e in manifest["experiments"] if e["level"] == "journey"),
        key=lambda e: max(v["planted_reply_lift"] for v in e["variants"]),
    )
    control = next(v for v in best["variants"] if v["is_control"])
    winner = next(v for v in best["variants"] if v["key"] == best["planted_winner"])
    c_n, c_r = measured[control["id"]]
    t_n, t_r = measured[winner["id"]]
    assert t_r / t_n > c_r / c_n


def test_cadence_experiment_plants_a_guardrail_breach(simulated) -> None:
    _, manifest = simulated
    cadence = [e for e in manifest["experiments"] if e["level"] == "program"]
    assert cadence
    for experiment in cadence:
        treated = next(v for v in experiment["variants"] if not v["is_control"])
        assert treated["planted_opt_out_multiplier"] > 1
        assert treated["cadence_factor"] < 1


def test_dirty_rows_in_landing_match_the_manifest(simulated) -> None:
    settings, manifest = simulated
    found = landing_violations(all_events(settings))
    dirty = manifest["dirty"]
    for kind in (*QUARANTINE_KINDS, "duplicate_delivery"):
        planted = dirty.get(f"landing.message_events.{kind}", 0) + dirty.get(
            f"store.message_events.{kind}", 0
        )
        assert found[kind] == planted, kind
        assert planted > 0, f"nothing of kind {kind} was planted"
    assert manifest["messages"]["out_of_order_statuses"] > 0


def test_truth_file_lists_every_planted_row(simulated) -> None:
    settings, manifest = simulated
    truth = pq.read_table(settings.simulation_dir / manifest["truth_file"]).to_pylist()
    counted: dict[str, int] = {}
    for row in truth:
        key = f"{row['source']}.{row['kind']}"
        counted[key] = counted.get(key, 0) + 1
    assert counted == manifest["dirty"]


def test_hr_files_break_exactly_where_the_truth_says(simulated) -> None:
    settings, manifest = simulated
    truth = pq.read_table(settings.simulation_dir / manifest["truth_file"]).to_pylist()
    employees = {w["external_id"] for w in store_table(settings, "workers").to_pylist()}
    checked = 0
    for name in manifest["files"]["hr_performance"]:
        expected = {
            r["key"]: r["kind"]
            for r in truth
            if r["source"] == "hr_performance" and r["file"] == name
        }
        assert bad_hr_lines(Path(settings.landing_dir) / name, employees) == expected
        checked += len(expected)
    assert checked == sum(
        v for k, v in manifest["dirty"].items() if k.startswith("hr_performance.")
    )
    assert checked > 0


def test_rosters_list_every_worker(simulated) -> None:
    settings, manifest = simulated
    lines = 0
    for name in manifest["files"]["hr_rosters"]:
        with (Path(settings.landing_dir) / name).open(encoding="utf-8") as handle:
            lines += sum(1 for _ in handle) - 1
    assert lines == manifest["counts"]["workers"]


def _fingerprint(settings, manifest) -> dict[str, str]:
    digests = {}
    for group in manifest["files"].values():
        for name in group:
            digests[name] = hashlib.sha256(
                (Path(settings.landing_dir) / name).read_bytes()
            ).hexdigest()
    for table in ("workers", "enrollments", "experiment_assignments", "message_events"):
        rows = sorted(store_table(settings, table).to_pylist(), key=lambda r: str(r.get("id")))
        for row in rows:
            row.pop("received_at", None) if table != "message_events" else None
            row.pop("phone_lookup", None)  # keyed by each home's own secret; the phone is kept
        digests[table] = hashlib.sha256(
            json.dumps(rows, default=str, sort_keys=True).encode()
        ).hexdigest()
    return digests


def test_same_seed_same_world(tmp_path: Path) -> None:
    first = run_small(tmp_path / "a")
    second = run_small(tmp_path / "b")
    assert first[1] == second[1]
    assert _fingerprint(*first) == _fingerprint(*second)
    third = run_small(tmp_path / "c", seed=4)
    assert _fingerprint(*third) != _fingerprint(*first)


def test_runs_on_both_store_backends(tmp_path: Path, store_url: str) -> None:
    settings, manifest = run_small(tmp_path, store_url)
    rows = manifest["store"]["rows"]
    assert rows["workers"] == 300
    assert rows["message_events"] == manifest["events"]["store"]
    # Running again without --reset refuses; with it, the world is replaced, not doubled.
    with pytest.raises(InputError, match="--reset"):
        simulate(settings, small_config())
    again = simulate(settings, small_config(), reset=True)
    assert again["store"]["rows"] == rows


def test_a_failed_run_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(simulator_run, "write_performance", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        simulate(settings, small_config())
    rows = store_table(settings, "organizations")
    assert rows.num_rows == 0
    landing = Path(settings.landing_dir)
    assert [p.name for p in landing.iterdir()] == []
    assert not settings.simulation_dir.exists()
    assert [p.name for p in settings.home.iterdir() if p.name.startswith(".")] == []


def test_unwritable_landing_folder_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = make_settings(tmp_path)
    settings.landing_dir = blocker / "landing"
    with pytest.raises(ConfigurationError, match="COACH_LANDING_DIR"):
        simulate(settings, small_config())
