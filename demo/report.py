"""What the demo prints: the marts after the build, each experiment's decision beside the effect
the simulator planted, the activation loop, what the rebuilt marts saw of it, and the summary.
Everything is read from the published Parquet, as any reader outside the run would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from coaching.journey_rules import describe_condition
from coaching.lake import published_mart
from coaching.settings import Settings
from coaching.simulator.world import BRANCH_TEMPLATES
from demo.loop import EnrollmentStep, LoopSummary
from demo.scenario import PlantedPrograms
from orchestration.runs import TransformSummary

HEADLINE_MARTS = (
    "workers",
    "messages",
    "worker_progress",
    "segment_membership",
    "activation_schedule",
)


def describe_marts(settings: Settings, summary: TransformSummary) -> str:
    """Segment sizes, progress states and sends due, read from the published marts."""
    gold = Path(settings.lake_dir or "") / "gold"
    schedule = published_mart(settings.lake_dir or "", "activation_schedule")
    con = duckdb.connect()

    def rows(sql: str) -> list[tuple]:
        return con.execute(sql).fetchall()

    lines = [
        "Warehouse: "
        + ", ".join(f"{m} {n}" for m, n in summary.published.items() if m in HEADLINE_MARTS),
        "  segments (largest first):",
    ]
    for name, kind, members, share, problem in rows(
        f"select name, kind, member_count, member_share, problem from '{gold}/segments.parquet' "
        "order by member_count desc limit 8"
    ):
        state = (
            f"{members:>6} workers ({share or 0:.0%})"
            if problem is None
            else f"not evaluated: {problem}"
        )
        lines.append(f"    {name:<28} {kind:<15} {state}")
    states = rows(
        f"select state, count(*) from '{gold}/worker_progress.parquet' group by 1 order by 2 desc"
    )
    lines.append("  progress: " + ", ".join(f"{state} {count}" for state, count in states))
    due = rows(
        f"select count(*) filter (where is_due), count(*), count(*) filter (where is_follow_up), "
        f"count(*) filter (where message_type = 'template') from '{schedule}'"
    )[0]
    lines.append(
        f"  activation schedule: {due[0]} sends due now of {due[1]} planned "
        f"({due[2]} follow-up nudges, {due[3]} as templates outside the 24 h window)"
    )
    if summary.failed_checks:
        lines.append(f"  failed checks: {', '.join(summary.failed_checks)}")
    return "\n".join(lines)


def describe_experiments(settings: Settings, manifest: dict) -> str:
    """Each simulated experiment's decision beside the effect the simulator planted."""
    gold = Path(settings.lake_dir or "") / "gold"
    rows = (
        duckdb.connect()
        .execute(
            f"select experiment_id, variant_key, absolute_lift, always_valid_low, "
            f"always_valid_high, chance_to_beat, decision, winner, days_run, planned_days "
            f"from '{gold}/experiment_results.parquet' "
            "where metric = 'reply_rate_24h' and dimension = 'all'"
        )
        .fetchall()
    )
    found = {r[0]: r for r in rows}
    lines = [
        "Experiments (reply rate within 24 h; planted truth from the simulator; the interval is "
        "always-valid, safe to read every day, and decides; P(better) is the fixed-horizon view):"
    ]
    winners = shipped = leading = 0
    for experiment in manifest["experiments"]:
        treated = next(v for v in experiment["variants"] if not v["is_control"])
        row = found.get(experiment["id"])
        if row is None:
            lines.append(f"  {experiment['name']:<32} no readout")
            continue
        _, _, lift, low, high, chance, decision, winner, days, planned = row
        if treated["planted_reply_lift"] > 0:
            winners += 1
            shipped += decision == "ship"
            leading += decision != "ship" and chance >= 0.8
        run = f"day {days} of {planned}" if planned else f"day {days}"
        lines.append(
            f"  [{experiment['level']:<7}] {experiment['name']:<32} planted {treated['planted_reply_lift']:+.2f}  "
            f"measured {lift:+.3f} [{low:+.3f}, {high:+.3f}]  P(better) {chance:.0%}  "
            f"{run}  -> {decision}{' ' + winner if winner else ''}"
        )
    lines.append(
        f"  planted winners: {winners}; shipped {shipped}, leading and still running {leading} "
        "(a decision waits for whole weeks, enough exposures per arm and always-valid evidence)"
    )
    return "\n".join(lines)


def describe_journey_rules(settings: Settings, manifest: dict) -> str:
    """Per journey rule of the demo world: the branches the simulated days took and the ones
    pending now, as journey_states finds them, beside the simulator's planted truth, and how many
    of them the schedule has due now."""
    gold = Path(settings.lake_dir or "") / "gold"
    schedule = published_mart(settings.lake_dir or "", "activation_schedule")
    with duckdb.connect() as con:
        pending = dict(
            con.execute(
                f"select rule_kind, count(*) from '{gold}/journey_states.parquet' "
                "where transition = 'rule' and enrollment_status = 'active' and not is_holdout "
                "group by all"
            ).fetchall()
        )
        due = dict(
            con.execute(
                f"select states.rule_kind, count(*) from '{schedule}' "
                f"as schedule join '{gold}/journey_states.parquet' as states using (enrollment_id) "
                "where schedule.is_due and not schedule.is_follow_up and states.transition = 'rule' "
                "group by all"
            ).fetchall()
        )
        taken = dict(
            con.execute(
                f"select touchpoint_name, count(*) from '{gold}/messages.parquet' "
                "where not is_follow_up group by all"
            ).fetchall()
        )
    lines = ["  journey rules (journey_states beside the simulator's planted truth):"]
    for template in BRANCH_TEMPLATES:
        kind = template.when["kind"]
        truth = manifest["journey_rules"][kind]
        label = f"{describe_condition(template.when, template.after_days)} → {template.name}"
        lines.append(
            f"    {label:<42} pending {pending.get(kind, 0):>4} of {truth['pending']:>4} planted "
            f"({due.get(kind, 0)} due now); sent {taken.get(template.name, 0)} of "
            f"{truth['taken']} taken in history"
        )
    return "\n".join(lines)


def describe_questions(settings: Settings, manifest: dict) -> str:
    """Per question of the demo world (a journey touchpoint, every program together): how the
    answers spread over the options in question_answers, beside the simulator's planted answers;
    the share tapped; inbound photos and the planted missing translation, counted."""
    gold = Path(settings.lake_dir or "") / "gold"
    with duckdb.connect() as con:
        rows = con.execute(
            f"select touchpoint_id, touchpoint_name, answer_payload, option_text, option_position, "
            f"answers, tapped from '{gold}/question_answers.parquet' where answer_payload is not null"
        ).fetchall()
        (photos,) = con.execute(
            f"select coalesce(sum(reply_media_count), 0) from '{gold}/messages.parquet'"
        ).fetchall()[0]
        fallbacks = con.execute(
            f"select worker_language, content_language, sum(scheduled) "
            f"from '{gold}/language_fallbacks.parquet' group by all"
        ).fetchall()
    planted = {
        (q["touchpoint_id"], payload): counts["tapped"] + counts["typed"]
        for q in manifest["answers"]["questions"]
        for payload, counts in q["options"].items()
    }
    measured: dict[str, dict[tuple[int, str], list[int]]] = {}
    tapped = answered = 0
    for touchpoint_id, name, payload, text, position, answers, taps in rows:
        cell = measured.setdefault(name, {}).setdefault((position, text), [0, 0])
        cell[0] += answers
        cell[1] += planted.get((touchpoint_id, payload), 0)
        tapped += taps
        answered += answers
    lines = ["  quizzes and check-ins (question_answers beside the simulator's planted answers):"]
    for name in sorted(measured, key=lambda n: int(n.split()[1])):
        cells = "  ".join(
            f"{text} {got} ({want})" for (_, text), (got, want) in sorted(measured[name].items())
        )
        lines.append(f"    {name:<15} {cells}")
    share = tapped / answered if answered else 0.0
    lines.append(
        f"    answered by tap {share:.0%} (planted {manifest['answers']['tap_share']:.0%}), "
        f"the rest typed; photos received {photos} (planted {manifest['answers']['inbound_media']})"
    )
    for gap in manifest["language_gaps"]:
        counted = ", ".join(f"{w}→{c} {n}" for w, c, n in fallbacks) or "none"
        lines.append(
            f"    planted: a quiz without its '{gap['language']}' variant; language_fallbacks "
            f"counts {counted} scheduled sends in the journey's default"
        )
    return "\n".join(lines)


def describe_loop(summary: LoopSummary) -> str:
    a = summary.activation
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items()))
    outbox = ", ".join(f"{k} {v}" for k, v in sorted(summary.outbox.items()))
    return "\n".join(
        [
            f"  schedule: {a.get('claimed', 0)} due sends claimed into the outbox, "
            f"{a.get('rejected', 0)} rejected, {a.get('new_assignments', 0)} new experiment assignments",
            f"  sent {a.get('sent', 0)}, held over quota {a.get('held', 0)}, skipped {a.get('skipped', 0)}, "
            f"deferred {a.get('deferred', 0)}, failed {a.get('failed', 0) + a.get('opted_out', 0)}",
            f"  final status by callback: {statuses or 'none'}",
            f"  replies {summary.replies} (opt-outs {summary.opt_outs}); outbox: {outbox}",
            "  sent as: "
            + ", ".join(f"{k} {v}" for k, v in sorted(summary.sent_as.items()))
            + f"; answers to options by tap {summary.answers['tap']}, typed "
            f"{summary.answers['text']}; photos from workers {summary.photos}",
            f"  exactly once: Twilio accepted {summary.accepted_by_twilio} messages for "
            f"{summary.sent_rows} sent outbox rows ({summary.double_sent} double-sent)",
            f"  weekly digests (worker_digests): {summary.digests_due} due this week; "
            + (", ".join(f"{k} {v}" for k, v in sorted(summary.digests.items())) or "none claimed"),
            *([f'    e.g. "{summary.digest_example}"'] if summary.digest_example else []),
        ]
    )


def describe_seen(settings: Settings, summary: LoopSummary) -> str:
    """What the rebuilt messages says about the messages this run sent."""
    sids = sorted(summary.sids)
    if not sids:
        return "  nothing was sent, so there is nothing new for the marts to see"
    path = settings.lake_dir / "gold" / "messages.parquet"
    with duckdb.connect() as con:
        con.execute("create temp table ours (message_sid varchar)")
        con.executemany("insert into ours values (?)", [(sid,) for sid in sids])
        rows = con.execute(
            "select final_status, count(*), count(*) filter (where replies > 0) from read_parquet(?) "
            "join ours using (message_sid) group by all order by 1",
            [str(path)],
        ).fetchall()
        answered = dict(
            con.execute(
                "select coalesce(answer_source, 'media'), count(*) from read_parquet(?) "
                "join ours using (message_sid) where answer_source is not null "
                "or reply_media_count > 0 group by all",
                [str(path)],
            ).fetchall()
        )
    seen = sum(count for _, count, _ in rows)
    by_status = ", ".join(f"{status} {count}" for status, count, _ in rows)
    replied = sum(r for _, _, r in rows)
    return (
        f"  messages now holds {seen} of the {len(sids)} messages sent: {by_status}; "
        f"{replied} with a reply; answers read from a tap {answered.get('tap', 0)}, from "
        f"typed text {answered.get('text', 0)}; replies with a photo {answered.get('media', 0)}"
    )


def summary_of(settings: Settings, manifest: dict, loop: LoopSummary) -> str:
    """The demo's last word: the world, the messages, the experiments."""
    gold = settings.lake_dir / "gold"
    with duckdb.connect() as con:
        segments = con.execute(
            f"select count(*), count(*) filter (where is_evaluated) from '{gold}/segments.parquet'"
        ).fetchall()[0]
        decisions = con.execute(
            f"select decision, count(distinct experiment_id) from '{gold}/experiment_results.parquet' "
            "where metric = 'reply_rate_24h' and dimension = 'all' group by all order by all"
        ).fetchall()
    orgs = manifest["organizations"]
    statuses = loop.statuses
    delivered = statuses.get("delivered", 0) + statuses.get("read", 0)
    failed = statuses.get("failed", 0) + statuses.get("undelivered", 0)
    return "\n".join(
        [
            "\nSummary",
            f"  organizations  {len(orgs)} ({sum(o['type'] == 'client' for o in orgs)} client, "
            f"{sum(o['type'] == 'expert' for o in orgs)} expert)",
            f"  workers        {manifest['counts']['workers']}, enrollments "
            f"{manifest['counts']['enrollments']}",
            f"  segments       {segments[0]} ({segments[1]} evaluated)",
            f"  activation     {loop.sent_rows} sent, {delivered} delivered ({statuses.get('read', 0)} "
            f"read), {failed} failed, {loop.activation.get('held', 0)} held over quota, "
            f"{loop.replies} replies; {loop.double_sent} double-sent",
            "  experiments    " + ", ".join(f"{d} {n}" for d, n in decisions),
        ]
    )


def describe_planted(planted: PlantedPrograms) -> str:
    return (
        f"  a program manager starts '{planted.new_program_name}' today for the segment "
        f"'{planted.segment_name}' (nobody enrolled by hand), and ends "
        f"'{planted.ended_program_name}' on {planted.ended_on}"
    )


def describe_enrollments(step: EnrollmentStep, planted: PlantedPrograms) -> str:
    dry = step.dry_run.totals()
    lines = [
        f"  dry run: would add {dry['added']} ({dry['held_out']} held out) and end {dry['ended']}; "
        "nothing changed",
    ]
    if step.deleted_worker:
        lines.append(
            f"  meanwhile a worker of '{planted.segment_name}' was deleted ({step.deleted_worker[:8]})"
        )
    lines += ["  " + line for line in step.applied.describe(step.names).splitlines()]
    lines.append(
        f"  rebuilt: {step.new_program_due} sends due now for '{planted.new_program_name}', "
        f"{step.ended_program_planned} planned for '{planted.ended_program_name}' (ended)"
    )
    variants = ", ".join(
        f"{key} {count} (at {times})"
        for key, (count, times) in sorted(step.new_program_variants.items())
    )
    lines.append(
        f"  program-level experiment '{planted.experiment_name}': new enrollments assigned by the "
        f"stable hash: {variants or 'none'}"
    )
    return "\n".join(lines)


def describe_recorded(recorded: Counter[str], planted: PlantedPrograms) -> str:
    return f"  '{planted.experiment_name}' assignments recorded as the sends went out: " + (
        ", ".join(f"{k} {n}" for k, n in sorted(recorded.items())) or "none"
    )


def describe_program_sends(loop: LoopSummary, planted: PlantedPrograms) -> str:
    return (
        f"  sends by program: '{planted.new_program_name}' (new) "
        f"{loop.sent_by_program.get(planted.new_program_id, 0)}, "
        f"'{planted.ended_program_name}' (ended) "
        f"{loop.sent_by_program.get(planted.ended_program_id, 0)}; to holdouts "
        f"{loop.sent_to_holdouts}"
    )
