"""How the console writes figures: counts as whole numbers with separators, shares as
percentages, moments in UTC, and nothing at all as a dash rather than "None"."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from jinja2 import Environment

DASH = "\u2013"  # an en dash


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def count(value: Any) -> str:
    return DASH if _missing(value) else f"{round(float(value)):,}"


def share(value: Any, digits: int = 1) -> str:
    return DASH if _missing(value) else f"{float(value) * 100:.{digits}f}%"


def figure(value: Any, digits: int = 3) -> str:
    return DASH if _missing(value) else f"{float(value):.{digits}f}"


def signed_share(value: Any, digits: int = 1) -> str:
    return DASH if _missing(value) else f"{float(value) * 100:+.{digits}f}%"


def moment(value: Any) -> str:
    if _missing(value) or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.utcoffset() is not None else "")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def words(value: Any) -> str:
    """`keep_running` as "keep running"."""
    return DASH if _missing(value) else str(value).replace("_", " ")


def install(env: Environment) -> None:
    env.filters.update(
        count=count,
        share=share,
        figure=figure,
        signed_share=signed_share,
        moment=moment,
        words=words,
    )
    env.globals["DASH"] = DASH
