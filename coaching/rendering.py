"""Filling a message's placeholders, one way for free text and for template variables.

Content is written with Twilio's numbered placeholders (`Hi {{1}}, today's tip: {{2}}`); each
content variant maps the numbers to what fills them (`{"1": "first_name", "2": "..."}`). A mapping
that names a field of the context (the worker, the program, the organization) is filled from it;
any other mapping is literal text. The same filled values go into a free-text body and into a
template's ContentVariables, so a worker inside the 24-hour window and one outside it read the
same words.

Pure functions: publishing checks that every placeholder has a mapping (`unmapped`), and at send
time a text that would still hold a placeholder is refused (`render` reports what is missing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")
# What a mapping may name, each filled from the context at send time.
FIELDS = {
    "first_name": "the worker's first name (the first word of the display name)",
    "display_name": "the worker's name",
    "team": "the worker's team",
    "region": "the worker's region",
    "district": "the worker's district",
    "job_role": "the worker's job role",
    "program_name": "the program's name",
    "organization_name": "the organization's name",
    # Figures the warehouse computes per recipient, for the weekly digest (worker_digests).
    "week_points": "the worker's points last week (weekly digest)",
    "streak_days": "the worker's current streak of days with a reply (weekly digest)",
    "team_rank": "the worker's rank in the team by last week's points (weekly digest)",
    "team_size": "the number of workers in the worker's team (weekly digest)",
    "team_name": "the worker's team, or 'your organization' (weekly digest)",
}


def placeholders(text: str | None) -> list[str]:
    """The placeholder names in `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unmapped(text: str | None, variables: Mapping[str, str] | None) -> list[str]:
    """Placeholders of `text` that neither a mapping nor a context field can fill: publishing
    refuses content with any."""
    mapping = variables or {}
    return [name for name in placeholders(text) if name not in mapping and name not in FIELDS]


def context_value(name: str, context: Mapping[str, str | None]) -> str | None:
    if name == "first_name":
        full = (context.get("display_name") or "").strip()
        return full.split()[0] if full else None
    return context.get(name)


@dataclass(frozen=True)
class Filled:
    """Each mapped slot's value for one recipient; `missing` names slots nothing could fill."""

    values: dict[str, str]
    missing: list[str]


def fill(variables: Mapping[str, str] | None, context: Mapping[str, str | None]) -> Filled:
    """The value of every mapped slot: a context field's value, or the mapping's literal text."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for slot, mapped in sorted((variables or {}).items()):
        name = str(mapped)
        value = context_value(name, context) if name in FIELDS else name
        if value:
            values[slot] = value
        else:
            missing.append(f"{slot} ({name})")
    return Filled(values, missing)


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: list[str]  # placeholders left unfilled: the text must not be sent

    @property
    def complete(self) -> bool:
        return not self.missing


def render(
    text: str, variables: Mapping[str, str] | None, context: Mapping[str, str | None]
) -> Rendered:
    """`text` with every placeholder filled: a numbered slot by its mapping, a field name by the
    context. Whatever cannot be filled is listed in `missing` (and left in the text)."""
    filled = fill(variables, context)
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = filled.values.get(name)
        if value is None and name in FIELDS and name not in (variables or {}):
            value = context_value(name, context)
        if not value:
            missing.append(name)
            return match.group(0)
        return value

    return Rendered(PLACEHOLDER.sub(replace, text), sorted(set(missing)))
