"""Journey rules: how a journey responds to the worker, as data, and the checks a journey's graph
must pass before it is stored.

A journey is a graph over its touchpoints. The main flow runs in position order; a touchpoint
marked `branch` is reached only through a rule and returns to the main flow through its `next`
(by default the next main touchpoint after it). After a touchpoint is sent, its rules are read in
order and the first that matches decides where the worker goes, `after_days` after the send
(`goto: None` ends the journey); when none matches, the worker moves on along the flow. The dbt
model `int_journey_states` evaluates the same rules over the event history and the simulator plays
them out, so the definitions here are the one source of what a rule means.

Everything here is pure: the API turns the problems into problem+json with their paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from coaching.domain import TouchpointKind

CHECK_IN_SCALE = (1, 5)  # check-in answers are scores from 1 to 5
MAX_AFTER_DAYS = 30


class RuleKind(StrEnum):
    REPLY_KEYWORD = "reply_keyword"  # the first reply is one of the keywords
    QUIZ_ANSWER = "quiz_answer"  # the quiz was answered right (or wrong)
    CHECK_IN_BELOW = "check_in_below"  # the check-in score is below a threshold
    NO_REPLY = "no_reply"  # no reply by `after_days` after the send
    SEGMENT = "segment"  # the worker is (or is no longer) in a segment


# Which touchpoint kinds a rule kind can sit on: a quiz rule needs a quiz's answer.
RULE_TOUCHPOINT_KINDS: Mapping[RuleKind, frozenset[TouchpointKind]] = {
    RuleKind.QUIZ_ANSWER: frozenset({TouchpointKind.QUIZ}),
    RuleKind.CHECK_IN_BELOW: frozenset({TouchpointKind.CHECK_IN}),
}


@dataclass(frozen=True)
class RuleProblem:
    path: str  # relative to the structure document, e.g. "phases[0].touchpoints[2].rules[1].goto"
    reason: str


@dataclass(frozen=True)
class StepSpec:
    """One touchpoint as the graph checks see it: where it sits in the document and its links."""

    path: str
    name: str
    kind: TouchpointKind
    branch: bool
    next: str | None
    rules: Sequence[Mapping[str, Any]]


def resolve_links(steps: Sequence[StepSpec]) -> tuple[dict[int, int | None], list[RuleProblem]]:
    """Each step's index to the index of the step it moves on to when no rule matches (None: the
    journey ends there), with a problem for every name that is not a touchpoint of the journey."""
    problems = duplicate_names(steps)
    index = {step.name: i for i, step in enumerate(steps)}
    following: dict[int, int | None] = {}
    for i, step in enumerate(steps):
        if step.next is not None:
            if step.next not in index:
                problems.append(
                    RuleProblem(f"{step.path}.next", f"no touchpoint named {step.next!r}")
                )
            following[i] = index.get(step.next)
        else:
            following[i] = next((j for j in range(i + 1, len(steps)) if not steps[j].branch), None)
    return following, problems


def duplicate_names(steps: Sequence[StepSpec]) -> list[RuleProblem]:
    seen: set[str] = set()
    problems = []
    for step in steps:
        if step.name in seen:
            problems.append(
                RuleProblem(
                    f"{step.path}.name", f"another touchpoint is already named {step.name!r}"
                )
            )
        seen.add(step.name)
    return problems


def graph_problems(steps: Sequence[StepSpec]) -> list[RuleProblem]:
    """Why the journey's graph cannot be stored: unknown targets, rules on touchpoints that cannot
    answer them, a branch nothing leads to, a first touchpoint that is a branch, and cycles."""
    following, problems = resolve_links(steps)
    index = {step.name: i for i, step in enumerate(steps)}
    edges: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(steps))}
    reached: set[int] = set()
    for i, step in enumerate(steps):
        if following[i] is not None:
            edges[i].append((following[i], f"{step.path}.next"))  # type: ignore[arg-type]
            reached.add(following[i])  # type: ignore[arg-type]
        for r, rule in enumerate(step.rules):
            path = f"{step.path}.rules[{r}]"
            kind = RuleKind(rule["when"]["kind"])
            allowed = RULE_TOUCHPOINT_KINDS.get(kind)
            if allowed is not None and step.kind not in allowed:
                problems.append(
                    RuleProblem(
                        f"{path}.when.kind",
                        f"a {kind.value} rule needs a {' or '.join(sorted(allowed))} touchpoint, "
                        f"not a {step.kind.value}",
                    )
                )
            target = rule.get("goto")
            if target is None:
                continue
            if target not in index:
                problems.append(RuleProblem(f"{path}.goto", f"no touchpoint named {target!r}"))
                continue
            edges[i].append((index[target], f"{path}.goto"))
            reached.add(index[target])
    if steps and steps[0].branch:
        problems.append(
            RuleProblem(f"{steps[0].path}.branch", "the first touchpoint starts the journey")
        )
    for i, step in enumerate(steps):
        if step.branch and i not in reached:
            problems.append(
                RuleProblem(f"{step.path}.branch", "no rule leads to this branch touchpoint")
            )
    cycle = find_cycle(edges)
    if cycle is not None:
        names = " → ".join(steps[i].name for i in (*cycle[0], cycle[0][0]))
        problems.append(RuleProblem(cycle[1], f"this link closes a cycle: {names}"))
    return problems


def find_cycle(edges: Mapping[int, Sequence[tuple[int, str]]]) -> tuple[list[int], str] | None:
    """The first cycle found by depth-first search, as its nodes in order and the path of the link
    that closes it; None when the graph is acyclic."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(edges, WHITE)
    stack: list[int] = []
    for start in edges:
        if colour[start] != WHITE:
            continue
        work: list[tuple[int, int]] = [(start, 0)]
        colour[start] = GREY
        stack.append(start)
        while work:
            node, edge_index = work[-1]
            if edge_index == len(edges[node]):
                work.pop()
                stack.pop()
                colour[node] = BLACK
                continue
            work[-1] = (node, edge_index + 1)
            target, path = edges[node][edge_index]
            if colour[target] == GREY:
                return stack[stack.index(target) :], path
            if colour[target] == WHITE:
                colour[target] = GREY
                stack.append(target)
                work.append((target, 0))
    return None


# The flat shape of one rule (one row per keyword for keyword rules), as `int_journey_rules`
# publishes it to the state machine in SQL.
FLAT_RULE_COLUMNS = (
    "touchpoint_id",
    "rule_index",
    "rule_kind",
    "keyword",
    "quiz_correct",
    "below_score",
    "segment_id",
    "segment_member",
    "goto_position",
    "after_days",
)


def flatten_rules(touchpoint_id: str, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of one touchpoint's stored rules; a rule of an unknown kind is left out (the
    API never stores one, and a read never fails because of one bad row)."""
    rows = []
    for index, rule in enumerate(rules):
        when = rule.get("when") or {}
        try:
            kind = RuleKind(when.get("kind"))
        except ValueError:
            continue
        base = dict.fromkeys(FLAT_RULE_COLUMNS)
        base.update(
            touchpoint_id=touchpoint_id,
            rule_index=index,
            rule_kind=kind.value,
            goto_position=rule.get("goto_position"),
            after_days=int(rule.get("after_days", 1)),
        )
        if kind is RuleKind.REPLY_KEYWORD:
            rows += [{**base, "keyword": str(k).upper()} for k in when.get("keywords", [])]
            continue
        if kind is RuleKind.QUIZ_ANSWER:
            base["quiz_correct"] = bool(when.get("correct"))
        elif kind is RuleKind.CHECK_IN_BELOW:
            base["below_score"] = int(when.get("score", 0))
        elif kind is RuleKind.SEGMENT:
            base["segment_id"] = when.get("segment_id")
            base["segment_member"] = bool(when.get("member", True))
        rows.append(base)
    return rows


def describe_condition(when: Mapping[str, Any], after_days: int = 1) -> str:
    """A rule's condition in words, for reports and the console."""
    kind = RuleKind(when["kind"])
    if kind is RuleKind.QUIZ_ANSWER:
        return "quiz answered " + ("right" if when.get("correct") else "wrong")
    if kind is RuleKind.CHECK_IN_BELOW:
        return f"check-in below {when.get('score')}"
    if kind is RuleKind.NO_REPLY:
        return f"no reply in {after_days} day{'s' if after_days != 1 else ''}"
    if kind is RuleKind.REPLY_KEYWORD:
        return "reply " + " or ".join(when.get("keywords", []))
    return ("in" if when.get("member", True) else "left") + f" segment {when.get('segment_id')}"
