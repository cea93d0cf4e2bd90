"""The domain vocabulary of ARCHITECTURE.md as enums, shared by the store, the lake contracts, dbt
seeds, the API and the simulator, so a value means the same thing everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrganizationType(StrEnum):
    CLIENT = "client"  # runs programs for its own workers
    EXPERT = "expert"  # designs journeys and publishes them to the marketplace


class Tier(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


# Monthly outbound message quota included in each tier; organizations may carry an override.
TIER_MONTHLY_QUOTA: dict[Tier, int] = {
    Tier.BASIC: 5_000,
    Tier.STANDARD: 50_000,
    Tier.PREMIUM: 500_000,
}


class ApprovalStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"  # expert organizations wait for platform approval
    REJECTED = "rejected"


class Role(StrEnum):
    ADMIN = "admin"
    TRAINING_MANAGER = "training_manager"
    PROGRAM_MANAGER = "program_manager"
    CONTENT_SPECIALIST = "content_specialist"


EVERY_ROLE = frozenset(Role)
# Who may change what; every role reads everything of its own organization unless noted.
ADMINS = frozenset({Role.ADMIN})
CONTENT_ROLES = frozenset({Role.ADMIN, Role.TRAINING_MANAGER, Role.CONTENT_SPECIALIST})
PROGRAM_ROLES = frozenset({Role.ADMIN, Role.PROGRAM_MANAGER})

# Anonymized benchmarks pool organizations coaching the same type of worker in the same size
# band; a pool is shown only from this many organizations up, so that no one organization's
# figures can be read back out of it (dbt's `benchmark_min_organizations` is this number).
BENCHMARK_MIN_ORGANIZATIONS = 5
BENCHMARK_METRICS = ("reply_rate", "completion_share", "retention_share")


@dataclass(frozen=True)
class TierLimits:
    max_users: int
    max_active_programs: int
    adaptive_experiments: bool  # Thompson-sampling allocation is a premium feature
    # Messages urgent content may still send in a month once the quota is used up (5% of the
    # tier's quota): a safety notice is not held back for want of a plan upgrade.
    grace_messages: int


TIER_LIMITS: dict[Tier, TierLimits] = {
    Tier.BASIC: TierLimits(
        max_users=5, max_active_programs=2, adaptive_experiments=False, grace_messages=250
    ),
    Tier.STANDARD: TierLimits(
        max_users=50, max_active_programs=20, adaptive_experiments=False, grace_messages=2_500
    ),
    Tier.PREMIUM: TierLimits(
        max_users=1_000, max_active_programs=500, adaptive_experiments=True, grace_messages=25_000
    ),
}


class SegmentKind(StrEnum):
    ORGANIZATIONAL = "organizational"
    LOCATION = "location"
    PERFORMANCE = "performance"
    BEHAVIORAL = "behavioral"
    TEMPORAL = "temporal"


class TouchpointKind(StrEnum):
    MESSAGE = "message"
    QUIZ = "quiz"
    REFLECTION = "reflection"
    CHECK_IN = "check_in"


class ContentKind(StrEnum):
    TEXT = "text"
    TEMPLATE = "template"  # a Twilio Content SID with variables, allowed outside the 24 h window


class JourneyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # the worker finished the journey
    DROPPED = "dropped"  # left the target segment (where the program drops), or deleted
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"  # the program ended before the worker finished


class SegmentExit(StrEnum):
    """What a program does with an enrollment whose worker leaves its target segment."""

    KEEP = "keep"  # the worker finishes the journey
    DROP = "drop"  # the enrollment ends as dropped


class SyncStatus(StrEnum):
    """How an enrollment sync went for one program."""

    APPLIED = "applied"  # the changes were written (or would be, in a dry run)
    SKIPPED = "skipped"  # the target segment did not evaluate: nothing changed
    STOPPED = "stopped"  # the change was larger than the program allows: nothing changed


class ExperimentLevel(StrEnum):
    JOURNEY = "journey"  # tests content: variants of a touchpoint's message
    PROGRAM = "program"  # tests implementation: cadence, send time, follow-up, channel


class ExperimentStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"
    SHIPPED = "shipped"


# Metrics the int_experiment_metric_stats model computes; experiments choose theirs from these.
EXPERIMENT_METRICS = (
    "reply_rate_24h",
    "delivery_failure_rate",
    "opt_out_rate",
    "replies_per_worker",
)
GUARDRAIL_METRICS = ("opt_out_rate", "delivery_failure_rate")
# The breakdowns experiment_results reads each metric by, and the decisions it can reach.
EXPERIMENT_DIMENSIONS = ("all", "region", "language", "assignment_week")
EXPERIMENT_DECISIONS = (
    "too_early", "ship", "keep_running", "stop_for_futility", "inconclusive", "investigate_srm",
    "invalid", "no_readout",
)  # fmt: skip
# Where worker_progress puts an enrollment, and how journey_states decided the next step.
PROGRESS_STATES = ("on_track", "behind", "dropped", "completed", "holdout")
JOURNEY_TRANSITIONS = ("start", "rule", "flow", "finished", "ended_by_rule")


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"


class EventKind(StrEnum):
    """The three kinds of row in the append-only message_events table."""

    OUTBOUND = "outbound"  # we handed a message to Twilio
    STATUS = "status"  # Twilio told us what happened to it
    INBOUND = "inbound"  # the worker wrote to us


class MessageStatus(StrEnum):
    """Twilio's message statuses, in the order a healthy message passes through them."""

    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    RECEIVED = "received"  # inbound


# Rank used to resolve out-of-order callbacks: the highest rank seen is the final status.
STATUS_RANK: dict[MessageStatus, int] = {
    MessageStatus.ACCEPTED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
    MessageStatus.UNDELIVERED: 6,
    MessageStatus.FAILED: 7,
    MessageStatus.RECEIVED: 0,
}


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"  # over quota: kept, reported, not dropped
    FAILED = "failed"  # permanent error
    DEAD = "dead"  # retries exhausted
    EXPIRED = "expired"
    SKIPPED = "skipped"  # opted out, quiet hours, or window closed at send time


# Real Twilio error codes the simulator and the emulator use.
TWILIO_ERRORS: dict[int, str] = {
    21610: "Attempt to send to unsubscribed recipient",
    21211: "Invalid 'To' phone number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    63016: "Failed to send freeform message because you are outside the allowed window",
    21620: "Invalid media URL(s)",
    21655: "The ContentSid is Invalid",
    21656: "The ContentVariables Parameter is invalid",
    12300: "Invalid Content-Type",
    20429: "Too many requests",
}

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "PARAR", "ACHA"}
)
