"""The words of each notification kind: a title and a body, Jinja2 templates over the row of
`notifications_due` and the names the store adds (identity joins here, at the last step).

Jinja2 because it is the templating dbt already brings: sandboxed (a template cannot reach Python
objects it was not given) and strict (a missing variable is an error, not an empty string).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from coaching.notifications import NotificationKind

ENVIRONMENT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

TEMPLATES: dict[str, tuple[str, str]] = {
    NotificationKind.QUOTA_WARNING: (
        "{{ organization }} has used {{ '%.0f' % (measured * 100) }}% of this month's messages",
        "{{ detail }} messages of the monthly quota are used in {{ period }}. At 100% sends are "
        "held until the month turns; urgent content may use the tier's grace allowance.",
    ),
    NotificationKind.QUOTA_REACHED: (
        "{{ organization }} has reached this month's message quota",
        "{{ detail }} messages of the monthly quota are used in {{ period }}: further sends are "
        "held until the month turns or the tier changes.",
    ),
    NotificationKind.WELLBEING_DECLINE: (
        "Wellbeing check-in: {{ worker }} may need a conversation",
        "{{ worker }}{% if program %} ({{ program }}){% endif %} answered {{ measured | int }} of 5 "
        "on {{ period }}{% if reference is not none %}, against an average of "
        "{{ '%.1f' % reference }} before{% endif %} ({{ detail }}).",
    ),
    NotificationKind.EXPERIMENT_DECISION: (
        "Experiment {{ experiment }}: {{ period | replace('_', ' ') }}",
        "{{ experiment }}{% if program %} in {{ program }}{% endif %} reached a decision: "
        "{{ period | replace('_', ' ') }}. {{ detail }}",
    ),
    NotificationKind.BULK_OPT_OUT: (
        "{{ program }}: {{ '%.1f' % (measured * 100) }}% of workers opted out on {{ period }}",
        "{{ detail }} enrollments of {{ program }} opted out of WhatsApp messages on {{ period }} "
        "(more than {{ '%.0f' % (reference * 100) }}% in a day). Check what was sent that day.",
    ),
    NotificationKind.DELIVERY_FAILED: (
        "A notification could not be delivered by {{ channel }}",
        '"{{ title }}" to {{ destination }} failed {{ attempts }} times and was given up: '
        "{{ error }}",
    ),
    NotificationKind.CHECK_FAILED: (
        "Blocking check failed: {{ check }}",
        "The check {{ check }} on {{ asset }} failed in run {{ run_id }} of {{ job }}, so what "
        "depends on it was not built: {{ description }}",
    ),
    NotificationKind.RUN_FAILED: (
        "Pipeline run failed: {{ job }}",
        "Run {{ run_id }} of {{ job }} failed: {{ error }}",
    ),
}


@cache
def _compiled(kind: str) -> tuple[Template, Template]:
    """Compiled on first use (not at import: the Dagster code location imports this module)."""
    title, body = TEMPLATES[kind]
    return ENVIRONMENT.from_string(title), ENVIRONMENT.from_string(body)


def render(kind: str, variables: dict[str, Any]) -> tuple[str, str]:
    """Title and body of a notification of `kind`."""
    title, body = _compiled(kind)
    return title.render(variables), body.render(variables)
