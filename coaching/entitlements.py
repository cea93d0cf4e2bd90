"""What an organization may hold, as pure rules: its tier's limits (active users, running
programs, adaptive experiments) and the one every organization keeps (an active admin).

Each rule takes the counts after a change and returns why the change is refused, or None. The
API counts in the store and answers with the reason; anything else that changes accounts or
programs (imports, syncs) applies the same rules.
"""

from __future__ import annotations

from coaching.domain import TIER_LIMITS, Tier


def active_users_refusal(tier: Tier, active_users: int) -> str | None:
    limit = TIER_LIMITS[tier].max_users
    return f"the {tier} tier allows {limit} active users" if active_users > limit else None


def admins_refusal(active_admins: int) -> str | None:
    return "the organization must keep at least one active admin" if active_admins < 1 else None


def active_programs_refusal(tier: Tier, active_programs: int) -> str | None:
    limit = TIER_LIMITS[tier].max_active_programs
    return f"the {tier} tier runs {limit} programs" if active_programs > limit else None


def adaptive_refusal(tier: Tier, is_adaptive: bool) -> str | None:
    if is_adaptive and not TIER_LIMITS[tier].adaptive_experiments:
        return "adaptive allocation needs the premium tier"
    return None
