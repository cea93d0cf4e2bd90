"""Days of behaviour, played out vectorized over all workers at once.

Each simulated day, every active enrollment whose next journey step falls due gets a message at the
touchpoint's local send time in the worker's timezone; follow-up nudges go to those who did not
reply. Each message then passes through Twilio's statuses, and may get a reply (a quiz answer, a
check-in score, free text, now and then the coach keyword) or a STOP. Reply probabilities depend
on the worker, the time of day and the planted experiment effects, so the truth a readout should
recover is known. After each send the journey's rules (coaching.journey_rules) decide the next
step the way `journey_states` does, and the truth of which worker takes which branch is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coaching.domain import Channel, EventKind, MessageStatus, TouchpointKind
from coaching.journey_rules import RuleKind
from coaching.simulator.catalog import (
    CHECK_IN_OPTION_TEXTS,
    QUIZ_OPTION_TEXTS,
    QUIZ_OPTIONS,
    REPLY_PHRASES,
)
from coaching.simulator.config import SimulationConfig
from coaching.simulator.notices import PlantedNotices
from coaching.simulator.population import NO_DAY, Population
from coaching.simulator.world import COACH_KEYWORD, World

UTC_TS = pa.timestamp("us", tz="UTC")

# The columns of a message event in the landing history and (with id, payload and received_at
# added by the store) in the operational store.
EVENT_SCHEMA = pa.schema(
    [
        ("event_key", pa.string()),
        ("kind", pa.string()),
        ("message_sid", pa.string()),
        ("status", pa.string()),
        ("error_code", pa.int32()),
        ("channel", pa.string()),
        ("from_number", pa.string()),
        ("to_number", pa.string()),
        ("organization_id", pa.string()),
        ("worker_id", pa.string()),
        ("enrollment_id", pa.string()),
        ("touchpoint_id", pa.string()),
        ("experiment_variant_id", pa.string()),
        ("is_follow_up", pa.bool_()),
        ("body", pa.string()),
        ("button_payload", pa.string()),
        ("media_count", pa.int32()),
        ("occurred_at", UTC_TS),
    ]
)

BASE_OPT_OUT = 0.002
UNDELIVERED_RATE = 0.015
WINDOW_FAILURE_RATE = 0.001
READ_RATE = 0.78
NUDGE_FACTOR = 0.6
TAP_SHARE = 0.7  # answers to quizzes and check-ins given by tapping an option
PHOTO_SHARE = 0.05  # free replies that carry a photo
BAD_HANDSET_CODES = np.array([30003, 30005, 30006], np.int32)
UNDELIVERED_CODES = np.array([30007, 30008], np.int32)
US = 1_000_000
# Rule kinds the simulator plays out, by the code its arrays hold (0: no rule).
RULE_CODES = (
    None,
    RuleKind.QUIZ_ANSWER,
    RuleKind.CHECK_IN_BELOW,
    RuleKind.NO_REPLY,
    RuleKind.REPLY_KEYWORD,
)
REPLY_RULES = (1, 2, 4)  # decided by what the worker answered
COACH_SHARE = 7  # one free reply in about 7 to a touchpoint with a keyword rule is the keyword


def hour_multiplier(send_minutes: np.ndarray) -> np.ndarray:
    """Mornings get more replies than evenings."""
    return np.where(send_minutes < 11 * 60, 1.1, np.where(send_minutes < 16 * 60, 1.0, 0.9))


@dataclass
class Tally:
    """Counts the manifest reports, accumulated as the days are played out."""

    messages: int = 0
    follow_ups: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    undelivered: int = 0
    replies: int = 0
    opt_outs: int = 0
    out_of_order: int = 0
    events: int = 0
    # Answers to quizzes and check-ins: touchpoint id -> option payload -> [typed, tapped].
    answers: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    media: int = 0  # inbound files (photos of finished tasks)

    def answer(self, touchpoint_id: str, payload: str, tapped: bool, count: int) -> None:
        self.answers.setdefault(touchpoint_id, {}).setdefault(payload, [0, 0])[int(tapped)] += count

    # experiment id -> variant key -> [main messages delivered, replies within 24 h, opt-outs]
    arms: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def arm(self, experiment_id: str, key: str) -> list[int]:
        return self.arms.setdefault(experiment_id, {}).setdefault(key, [0, 0, 0])


@dataclass
class Answers:
    """What the workers answered to a block of messages, as the journey rules read it."""

    quiz: np.ndarray  # answered a quiz
    quiz_correct: np.ndarray
    check_in: np.ndarray  # answered a check-in
    score: np.ndarray
    keyword: np.ndarray  # replied with the coach keyword
    button_payload: np.ndarray | None = None  # what a tap sent back (None: typed, or no tap)
    media_count: np.ndarray | None = None  # files sent with a reply

    def subset(self, mask: np.ndarray) -> Answers:
        return Answers(
            self.quiz[mask], self.quiz_correct[mask], self.check_in[mask], self.score[mask],
            self.keyword[mask],
        )  # fmt: skip


class Behaviour:
    """Plays out the days of one world; `day(d)` yields the events of day d in blocks."""

    def __init__(
        self,
        config: SimulationConfig,
        world: World,
        population: Population,
        horizon_days: int | None = None,
    ) -> None:
        """`horizon_days` (default the config's days) is how many days may be played: more when
        a world is continued past its end."""
        self.config = config
        self.world = world
        self.pop = population
        self.tally = Tally()
        programs = world.programs
        width = max(len(p.touchpoints) for p in programs) if programs else 0
        shape = (max(1, len(programs)), max(1, width))
        self.day_offset = np.full(shape, -10_000, np.int32)
        self.follow_after = np.zeros(shape, np.int32)
        self.send_minutes = np.zeros(shape, np.int32)
        self.kind = np.zeros(shape, np.int8)
        self.correct = np.zeros(shape, np.int8)
        self.touchpoint_ids = np.full(shape, None, dtype=object)
        # The journey's graph: branches, where the flow goes, and each touchpoint's rule.
        self.is_branch = np.zeros(shape, np.int32)
        self.flow_next = np.full(shape, -1, np.int32)
        self.rule_code = np.zeros(shape, np.int8)
        self.rule_target = np.full(shape, -1, np.int32)
        self.rule_after = np.zeros(shape, np.int32)
        self.rule_score = np.zeros(shape, np.int32)
        self.rule_correct = np.zeros(shape, bool)
        kinds = list(TouchpointKind)
        for p in programs:
            for t in p.touchpoints:
                self.day_offset[p.index, t.position] = t.day_offset
                self.follow_after[p.index, t.position] = t.follow_up_after_days
                self.send_minutes[p.index, t.position] = t.send_minutes
                self.kind[p.index, t.position] = kinds.index(t.kind)
                self.correct[p.index, t.position] = QUIZ_OPTIONS.index(t.correct_answer or "A")
                self.touchpoint_ids[p.index, t.position] = t.id
                self.is_branch[p.index, t.position] = int(t.branch)
                self.flow_next[p.index, t.position] = t.flow_next
                if t.rule is not None:
                    when = t.rule.when
                    self.rule_code[p.index, t.position] = RULE_CODES.index(RuleKind(when["kind"]))
                    self.rule_target[p.index, t.position] = t.rule_target
                    self.rule_after[p.index, t.position] = t.rule.after_days
                    self.rule_score[p.index, t.position] = int(when.get("score", 0))
                    self.rule_correct[p.index, t.position] = bool(when.get("correct", False))
        self.width = width
        orgs = world.organizations
        self.org_ids = pa.array([o.id for o in orgs], pa.string())
        self.org_sender = pa.array([o.whatsapp_sender for o in orgs], pa.string())
        self.org_languages = [o.languages for o in orgs]
        # Local midnight of every simulated day in every organization's timezone, as epoch seconds.
        self.midnight = np.array(
            [
                [
                    int(
                        datetime.combine(
                            config.start_date + timedelta(days=d), time(0), ZoneInfo(o.timezone)
                        ).timestamp()
                    )
                    for d in range((horizon_days or config.days) + 1)
                ]
                for o in orgs
            ],
            dtype=np.int64,
        )
        self._init_experiment_tables()
        self._effective_offsets()
        n = config.workers
        self.sent_bits = np.zeros(n, np.uint32)
        self.replied_bits = np.zeros(n, np.uint32)
        self._init_journey_state(n)
        self.opt_out_at = np.zeros(n, np.int64)  # microseconds of the STOP, 0 before one
        self.notices = PlantedNotices(config, len(programs))
        self.sid_tag = f"{config.seed & 0xFFFFFFFF:08x}"
        self.sid_counter = 0
        self._tap_day = -1
        self._tap_rng = np.random.default_rng(0)

    def _init_experiment_tables(self) -> None:
        p_count = max(1, len(self.world.programs))
        self.j_touchpoint = np.full(p_count, -1, np.int32)
        self.j_lift = np.zeros((p_count, 4), np.float64)
        self.j_variant_ids = np.full((p_count, 4), None, dtype=object)
        self.p_lift = np.zeros((p_count, 4), np.float64)
        self.p_opt_out = np.ones((p_count, 4), np.float64)
        self.p_cadence = np.ones((p_count, 4), np.float64)
        for p in self.world.programs:
            if p.journey_experiment:
                self.j_touchpoint[p.index] = p.journey_experiment.touchpoint_index or 0
                for v, variant in enumerate(p.journey_experiment.variants):
                    self.j_lift[p.index, v] = variant.reply_lift
                    self.j_variant_ids[p.index, v] = variant.id
            if p.program_experiment:
                for v, variant in enumerate(p.program_experiment.variants):
                    self.p_lift[p.index, v] = variant.reply_lift
                    self.p_opt_out[p.index, v] = variant.opt_out_multiplier
                    self.p_cadence[p.index, v] = variant.cadence_factor

    def _effective_offsets(self) -> None:
        """Day offsets per worker and touchpoint after the cadence variant is applied."""
        pop = self.pop
        enrolled = pop.program_index >= 0
        prog = np.where(enrolled, pop.program_index, 0)
        pvar = np.where(pop.program_variant >= 0, pop.program_variant, 0)
        cadence = np.where(pop.program_variant >= 0, self.p_cadence[prog, pvar], 1.0)
        offsets = np.rint(self.day_offset[prog] * cadence[:, None]).astype(np.int32)
        offsets[~enrolled] = -10_000
        self.offsets = offsets

    def _init_journey_state(self, n: int) -> None:
        """Every enrolled worker starts at the first touchpoint, on its day after enrollment."""
        pop = self.pop
        enrolled = pop.enroll_day >= 0
        self.next_pos = np.where(enrolled, 0, -1).astype(np.int32)
        self.next_day = np.where(enrolled, pop.enroll_day + self.offsets[:, 0], NO_DAY).astype(
            np.int32
        )
        self.cur_pos = np.full(n, -1, np.int32)
        self.cur_day = np.full(n, -1, np.int32)
        self.sent_day = np.full((n, max(1, self.width)), -1, np.int32)
        # How the pending step was decided (a RULE_CODES index, 0: the flow) and, for a rule
        # decided by an answer, when the answer came (microseconds since the epoch).
        self.pending_rule = np.zeros(n, np.int8)
        self.decided_at = np.zeros(n, np.int64)
        self.branches_taken = np.zeros(len(RULE_CODES), np.int64)

    def end_of_day(self, organization_index: int, day: int) -> datetime:
        """The end of simulated `day` in the organization's timezone, as aware UTC."""
        return datetime.fromtimestamp(int(self.midnight[organization_index, day + 1]), UTC)

    def _sids(self, count: int, kind_digit: int) -> pa.Array:
        counters = pa.array(np.arange(self.sid_counter, self.sid_counter + count, dtype=np.int64))
        self.sid_counter += count
        padded = pc.utf8_lpad(pc.cast(counters, pa.string()), width=23, padding="0")
        return pc.binary_join_element_wise(f"SM{self.sid_tag}{kind_digit}", padded, "")

    def due(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Workers, touchpoints and follow-up flags of every message due on `day`."""
        pop = self.pop
        active = (
            (pop.enroll_day >= 0)
            & (pop.enroll_day <= day)
            & ~pop.holdout
            & pop.opted_in
            & (pop.opted_out_day >= day)
        )
        idx = np.nonzero(active)[0]
        prog = pop.program_index[idx]
        main = (self.next_day[idx] == day) & (self.next_pos[idx] >= 0)
        workers, touchpoints, nudges = (
            [idx[main]],
            [self.next_pos[idx[main]]],
            [np.zeros(int(main.sum()), bool)],
        )
        for t in range(self.width):
            after = self.follow_after[prog, t]
            bit = np.uint32(1 << t)
            sent_on = self.sent_day[idx, t]
            follow = (
                (after > 0)
                & (sent_on >= 0)
                & (day == sent_on + after)
                & ((self.sent_bits[idx] & bit) != 0)
                & ((self.replied_bits[idx] & bit) == 0)
            )
            workers.append(idx[follow])
            touchpoints.append(np.full(int(follow.sum()), t, np.int32))
            nudges.append(np.ones(int(follow.sum()), bool))
        return (
            np.concatenate(workers),
            np.concatenate(touchpoints).astype(np.int32),
            np.concatenate(nudges),
        )

    def _advance(
        self, day: int, w: np.ndarray, prog: np.ndarray, t: np.ndarray, org: np.ndarray,
        reply: np.ndarray, reply_t: np.ndarray, answers: Answers,
    ) -> None:  # fmt: skip
        """Move each worker sent a main touchpoint to their next step, as journey_states would:
        the touchpoint's rule when it matches (an answer only counts if it came before the
        branch is sent), else the flow."""
        pop = self.pop
        flow = self.flow_next[prog, t]
        flow_day = np.where(
            flow >= 0,
            np.maximum(
                pop.enroll_day[w] + self.offsets[w, np.maximum(flow, 0)],
                day + self.is_branch[prog, t],
            ),
            NO_DAY,
        )
        code = self.rule_code[prog, t]
        after = self.rule_after[prog, t]
        target = self.rule_target[prog, t]
        rule_day = day + after
        quiz = (code == 1) & answers.quiz & (answers.quiz_correct == self.rule_correct[prog, t])
        check_in = (code == 2) & answers.check_in & (answers.score < self.rule_score[prog, t])
        keyword = (code == 4) & answers.keyword
        by_answer = quiz | check_in | keyword
        # An answer that arrives after the branch's send time cannot have decided it.
        last = self.midnight.shape[1] - 1
        target_time = (
            self.midnight[org, np.minimum(rule_day, last)]
            + self.send_minutes[prog, np.maximum(target, 0)] * 60
        ) * US
        by_answer &= (reply_t < target_time) | (rule_day > last)
        silent = (code == 3) & ~reply & (rule_day <= flow_day)
        matched = by_answer | silent
        self.cur_pos[w] = t
        self.cur_day[w] = day
        self.sent_day[w, t] = day
        self.next_pos[w] = np.where(matched, target, flow)
        self.next_day[w] = np.where(matched, rule_day, flow_day)
        self.pending_rule[w] = np.where(matched, code, 0)
        self.decided_at[w] = np.where(by_answer, reply_t, 0)

    def journey_truth(self, as_of_us: int) -> dict[str, dict[str, int]]:
        """Per rule kind: branches the simulated days took, and the enrollments whose next step
        that rule decided as of `as_of_us` (what `journey_states` should find: an answer that
        came later, or a silence not yet long enough, leaves the worker on the flow)."""
        pop = self.pop
        live = (
            (pop.enroll_day >= 0)
            & ~pop.holdout
            & pop.opted_in
            & (pop.opted_out_day == NO_DAY)
            & (self.next_pos >= 0)
            & (self.cur_pos >= 0)
        )
        # The local day of the last second before the as-of moment, counted like the simulated
        # days (no DST in the simulated zones).
        today = ((as_of_us // US - 1 - self.midnight[:, 0]) // 86_400)[pop.organization_index]
        known = np.where(
            np.isin(self.pending_rule, REPLY_RULES),
            self.decided_at <= as_of_us,
            self.next_day <= today,
        )
        pending = live & (self.pending_rule > 0) & known
        return {
            code.value: {
                "taken": int(self.branches_taken[i]),
                "pending": int((pending & (self.pending_rule == i)).sum()),
            }
            for i, code in enumerate(RULE_CODES)
            if code is not None
        }

    def day(self, day: int) -> Iterator[pa.Table]:
        workers, touchpoints, nudges = self.due(day)
        rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, 2, day]))
        block = self.config.send_block
        for start in range(0, len(workers), block):
            sl = slice(start, start + block)
            yield self._messages(day, rng, workers[sl], touchpoints[sl], nudges[sl])

    def _messages(
        self, day: int, rng: np.random.Generator, w: np.ndarray, t: np.ndarray, nudge: np.ndarray
    ) -> pa.Table:
        pop, tally = self.pop, self.tally
        s = len(w)
        org = pop.organization_index[w]
        prog = pop.program_index[w]
        jvar = pop.journey_variant[w]
        pvar = pop.program_variant[w]
        minutes = self.send_minutes[prog, t]
        t0 = (self.midnight[org, day] + minutes * 60 + rng.integers(0, 300, s)) * US

        # Delivery.
        bad = pop.bad_handset[w]
        u = rng.random(s)
        undelivered = ~bad & (u < UNDELIVERED_RATE)
        window_failed = ~bad & ~undelivered & (u < UNDELIVERED_RATE + WINDOW_FAILURE_RATE)
        failed = bad | window_failed
        delivered = ~failed & ~undelivered
        error = np.zeros(s, np.int32)
        error[bad] = rng.choice(BAD_HANDSET_CODES, int(bad.sum()))
        error[undelivered] = rng.choice(UNDELIVERED_CODES, int(undelivered.sum()))
        error[window_failed] = 63016

        # Replies and opt-outs.
        in_journey_exp = (~nudge) & (t == self.j_touchpoint[prog]) & (jvar >= 0)
        j_lift = np.where(in_journey_exp, self.j_lift[prog, np.maximum(jvar, 0)], 0.0)
        in_program_exp = (~nudge) & (pvar >= 0)
        p_lift = np.where(in_program_exp, self.p_lift[prog, np.maximum(pvar, 0)], 0.0)
        base = pop.reply_propensity[w] * hour_multiplier(minutes)
        p_reply = np.where(nudge, base * NUDGE_FACTOR, base + j_lift + p_lift)
        p_reply = np.clip(p_reply, 0.005, 0.97)
        opt_out_mult = np.where(pvar >= 0, self.p_opt_out[prog, np.maximum(pvar, 0)], 1.0)
        opt_out = self.notices.opt_out_rate(prog, day, BASE_OPT_OUT * opt_out_mult)
        stop = delivered & (rng.random(s) < opt_out)
        reply = delivered & ~stop & (rng.random(s) < p_reply)
        read = delivered & ((rng.random(s) < READ_RATE) | reply)

        # Times (microseconds since the epoch, UTC).
        queued_t = t0 + rng.integers(200_000, 1_000_000, s)
        sent_t = queued_t + rng.integers(1, 5, s) * US
        final_t = sent_t + rng.integers(2, 30, s) * US
        reply_delay = (np.minimum(rng.exponential(3 * 3600, s), 23.5 * 3600) + 30).astype(np.int64)
        reply_t = final_t + reply_delay * US
        read_gap = np.minimum(rng.exponential(40 * 60, s), reply_delay * 0.8).astype(np.int64)
        read_t = final_t + read_gap * US + 1
        stop_t = final_t + (rng.exponential(2 * 3600, s).astype(np.int64) + 10) * US
        # Callbacks arrive out of order now and then: delivered before sent.
        swapped = delivered & (rng.random(s) < 2 * self.config.dirty_share)
        sent_t = np.where(swapped, final_t + rng.integers(1, 10, s) * US, sent_t)

        # State for the days that follow.
        bodies, answers = self._bodies(rng, day, w, prog, t, reply, stop)
        self.notices.record_check_ins(
            w[answers.check_in], reply_t[answers.check_in], answers.score[answers.check_in]
        )
        main = ~nudge
        self.branches_taken += np.bincount(
            self.pending_rule[w[main & (self.is_branch[prog, t] == 1)]], minlength=len(RULE_CODES)
        )
        self._advance(
            day, w[main], prog[main], t[main], org[main], reply[main], reply_t[main],
            answers.subset(main),
        )  # fmt: skip
        bit = (np.uint32(1) << t.astype(np.uint32)).astype(np.uint32)
        main_delivered = delivered & ~nudge
        np.bitwise_or.at(self.sent_bits, w[main_delivered], bit[main_delivered])
        np.bitwise_or.at(self.replied_bits, w[reply & ~nudge], bit[reply & ~nudge])
        first_stop = stop & (pop.opted_out_day[w] > day)
        pop.opted_out_day[w[first_stop]] = day
        self.opt_out_at[w[first_stop]] = stop_t[first_stop]

        self._count(
            w, prog, jvar, pvar, nudge, in_journey_exp, in_program_exp, delivered, reply, stop
        )
        self.notices.record_sends(org, day, len(self.world.organizations))
        tally.messages += int((~nudge).sum())
        tally.follow_ups += int(nudge.sum())
        tally.delivered += int(delivered.sum())
        tally.read += int(read.sum())
        tally.failed += int(failed.sum())
        tally.undelivered += int(undelivered.sum())
        tally.replies += int(reply.sum())
        tally.opt_outs += int(stop.sum())
        tally.out_of_order += int(swapped.sum())

        sids = self._sids(s, 0)
        common = {
            "message_sid": sids,
            "channel": pa.array(np.full(s, Channel.WHATSAPP.value, object), pa.string()),
            "from_number": self.org_sender.take(pa.array(org)),
            "to_number": pop.phone.take(pa.array(w)),
            "organization_id": self.org_ids.take(pa.array(org)),
        }
        outbound = {
            **common,
            "kind": EventKind.OUTBOUND.value,
            "status": MessageStatus.ACCEPTED.value,
            "worker_id": pop.worker_id.take(pa.array(w)),
            "enrollment_id": pop.enrollment_id.take(pa.array(w)),
            "touchpoint_id": pa.array(self.touchpoint_ids[prog, t], pa.string()),
            "experiment_variant_id": pa.array(
                np.where(in_journey_exp, self.j_variant_ids[prog, np.maximum(jvar, 0)], None),
                pa.string(),
            ),
            "is_follow_up": pa.array(nudge),
            "occurred_at": t0,
        }
        parts = [_table(outbound, np.ones(s, bool), "outbound")]
        statuses = (
            (MessageStatus.QUEUED, np.ones(s, bool), queued_t, None),
            (MessageStatus.SENT, ~failed, sent_t, None),
            (MessageStatus.DELIVERED, delivered, final_t, None),
            (MessageStatus.READ, read, read_t, None),
            (MessageStatus.UNDELIVERED, undelivered, final_t, error),
            (MessageStatus.FAILED, failed, final_t, error),
        )
        for status, mask, when, codes in statuses:
            columns = {
                **common,
                "kind": EventKind.STATUS.value,
                "status": status.value,
                "occurred_at": when,
            }
            if codes is not None:
                columns["error_code"] = pa.array(codes, pa.int32())
            parts.append(_table(columns, mask, status.value))

        # Inbound: replies and STOPs come from the worker's phone to the organization's sender.
        inbound_mask = reply | stop
        inbound = {
            "message_sid": self._sids(s, 1),  # counter space for inbound sids
            "kind": EventKind.INBOUND.value,
            "status": MessageStatus.RECEIVED.value,
            "channel": common["channel"],
            "from_number": common["to_number"],
            "to_number": common["from_number"],
            "organization_id": common["organization_id"],
            "worker_id": outbound["worker_id"],
            "body": pa.array(bodies, pa.string()),
            "button_payload": pa.array(answers.button_payload, pa.string()),
            "media_count": pa.array(answers.media_count, pa.int32()),
            "occurred_at": np.where(stop, stop_t, reply_t),
        }
        parts.append(_table(inbound, inbound_mask, "received"))
        return pa.concat_tables(parts)

    def _count(
        self, w: np.ndarray, prog: np.ndarray, jvar: np.ndarray, pvar: np.ndarray,
        nudge: np.ndarray, in_journey: np.ndarray, in_program: np.ndarray,
        delivered: np.ndarray, reply: np.ndarray, stop: np.ndarray,
    ) -> None:  # fmt: skip
        """Per-arm truth: delivered main messages, replies and opt-outs."""
        for p in self.world.programs:
            for spec, mask, variants in (
                (p.journey_experiment, in_journey, jvar),
                (p.program_experiment, in_program, pvar),
            ):
                if spec is None:
                    continue
                scope = mask & (prog == p.index) & delivered & ~nudge
                for v, variant in enumerate(spec.variants):
                    arm = scope & (variants == v)
                    counts = self.tally.arm(spec.id, variant.key)
                    counts[0] += int(arm.sum())
                    counts[1] += int((arm & reply).sum())
                    counts[2] += int((arm & stop).sum())

    def _bodies(
        self, rng: np.random.Generator, day: int, w: np.ndarray, prog: np.ndarray, t: np.ndarray,
        reply: np.ndarray, stop: np.ndarray,
    ) -> tuple[np.ndarray, Answers]:  # fmt: skip
        s = len(w)
        bodies = np.full(s, None, dtype=object)
        kinds = self.kind[prog, t]
        kind_list = list(TouchpointKind)
        quiz = reply & (kinds == kind_list.index(TouchpointKind.QUIZ))
        correct = rng.random(s) < self.pop.skill[w]
        wrong = (self.correct[prog, t] + rng.integers(1, len(QUIZ_OPTIONS), s)) % len(QUIZ_OPTIONS)
        answer = np.where(correct, self.correct[prog, t], wrong)
        options = np.array(QUIZ_OPTIONS, dtype=object)
        bodies[quiz] = options[answer[quiz]]
        check_in = reply & (kinds == kind_list.index(TouchpointKind.CHECK_IN))
        wellbeing = self.pop.wellbeing[w] + self.notices.wellbeing_shift(w, day)
        score = np.clip(np.rint(wellbeing + rng.normal(0, 0.6, s)), 1, 5).astype(int)
        bodies[check_in] = score[check_in].astype(str).astype(object)
        free = reply & ~quiz & ~check_in
        org = self.pop.organization_index[w]
        lang = self.pop.language_index[w]
        pick = rng.integers(0, 1_000, s)
        for i in np.nonzero(free)[0]:
            language = self.org_languages[org[i]][lang[i]]
            phrases = REPLY_PHRASES.get(language, REPLY_PHRASES["en"])
            bodies[i] = phrases[pick[i] % len(phrases)]
        # Planted: now and then a worker answers a touchpoint that listens for it with the coach
        # keyword (drawn from `pick`, so the random stream is the same as without it).
        keyword = free & (self.rule_code[prog, t] == 4) & (pick % COACH_SHARE == 0)
        bodies[keyword] = COACH_KEYWORD
        bodies[stop] = "STOP"
        payloads, media = self._taps(day, prog, t, bodies, quiz, answer, check_in, score, free)
        return bodies, Answers(
            quiz, answer == self.correct[prog, t], check_in, score, keyword, payloads, media
        )

    def _taps(
        self, day: int, prog: np.ndarray, t: np.ndarray, bodies: np.ndarray, quiz: np.ndarray,
        answer: np.ndarray, check_in: np.ndarray, score: np.ndarray, free: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Planted: most answers are tapped (the button's label comes back as the text, its
        payload beside it), the rest typed (a letter or a number); now and then a free reply
        carries a photo. A random stream of its own per day, so every other draw stays."""
        if day != self._tap_day:
            self._tap_day = day
            self._tap_rng = np.random.default_rng(
                np.random.SeedSequence([self.config.seed, 13, day])
            )
        s = len(bodies)
        tapped = self._tap_rng.random(s) < TAP_SHARE
        photo = free & (self._tap_rng.random(s) < PHOTO_SHARE)
        payloads = np.full(s, None, dtype=object)
        letters = np.array(QUIZ_OPTIONS, dtype=object)
        quiz_tap = quiz & tapped
        payloads[quiz_tap] = letters[answer[quiz_tap]]
        bodies[quiz_tap] = np.array(QUIZ_OPTION_TEXTS, dtype=object)[answer[quiz_tap]]
        check_tap = check_in & tapped
        payloads[check_tap] = score[check_tap].astype(str).astype(object)
        bodies[check_tap] = np.array(CHECK_IN_OPTION_TEXTS, dtype=object)[score[check_tap] - 1]
        ids = self.touchpoint_ids[prog, t]
        for mask, values in ((quiz, letters[answer]), (check_in, score.astype(str))):
            for tap in (False, True):
                chosen = mask & (tapped == tap)
                if not chosen.any():
                    continue
                keys, counts = np.unique(
                    np.char.add(
                        ids[chosen].astype(str), np.char.add("|", values[chosen].astype(str))
                    ),
                    return_counts=True,
                )
                for key, count in zip(keys, counts, strict=True):
                    touchpoint_id, payload = str(key).split("|")
                    self.tally.answer(touchpoint_id, payload, tap, int(count))
        self.tally.media += int(photo.sum())
        return payloads, np.where(bodies == None, None, photo.astype(np.int32))  # noqa: E711


def _table(columns: dict[str, object], mask: np.ndarray, key_suffix: str) -> pa.Table:
    """Rows of `columns` where `mask` holds, shaped to EVENT_SCHEMA."""
    selected = pa.array(mask)
    n = int(mask.sum())
    out: dict[str, pa.Array] = {}
    for field_ in EVENT_SCHEMA:
        value = columns.get(field_.name)
        if value is None:
            out[field_.name] = pa.nulls(n, field_.type)
        elif isinstance(value, str):
            out[field_.name] = pa.array(np.full(n, value, dtype=object), field_.type)
        elif isinstance(value, np.ndarray):
            out[field_.name] = pa.array(value[mask], field_.type)
        else:
            out[field_.name] = pc.filter(value, selected).cast(field_.type)
    out["event_key"] = pc.binary_join_element_wise(out["message_sid"], f":{key_suffix}", "")
    return pa.table(out, schema=EVENT_SCHEMA)
