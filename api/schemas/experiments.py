"""Experiments, their variants, and the audit log entries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    ConfigDict,
    Field,
    model_validator,
)

from api.schemas.common import (
    PRESENT,
    Flag,
    Input,
    Key,
    LocalTime,
    Moment,
    Name,
    Output,
    Ref,
    Stored,
    whole,
    whole_weeks,
)
from coaching.domain import (
    EXPERIMENT_METRICS,
    Channel,
    ExperimentLevel,
    ExperimentStatus,
)

Metric = Literal[EXPERIMENT_METRICS]  # type: ignore[valid-type]


Share = Annotated[float, Field(ge=0.0, le=0.5, strict=True)]


class DecisionSettings(Input):
    """What an experiment's decision is held to (coaching.stats.decision.Thresholds); each
    setting left out is the organization's default, else the platform's."""

    alpha: Annotated[float, Field(ge=0.001, le=0.2, strict=True)] | None = Field(
        default=None,
        description="Chance a variant no better than control is ever shipped, however often "
        "the readout is read (platform: 0.05).",
    )
    minimum_detectable_lift: Annotated[float, Field(ge=0.01, le=2.0, strict=True)] | None = Field(
        default=None,
        description="Smallest lift, relative to control, the experiment is designed to detect "
        "(platform: 0.15).",
    )
    min_days: whole_weeks(1, 12) | None = Field(
        default=None,
        description="Whole weeks before any decision, against weekday effects and novelty "
        "(platform: 7).",
    )
    min_samples_per_arm: whole(10, 1_000_000) | None = Field(
        default=None, description="Exposures every arm needs before any decision (platform: 100)."
    )
    min_lift_worth_shipping: Share | None = Field(
        default=None, description="Absolute lift below which a variant is not worth shipping."
    )
    guardrail_margin: Share | None = Field(
        default=None, description="How much worse (absolute) a guardrail may get."
    )


class ExperimentPlanRequest(Input):
    """A power calculation: how long an experiment needs for a lift."""

    relative_lift: Annotated[float, Field(gt=0.0, le=2.0, strict=True)] = Field(
        description="The lift to detect, relative to control (0.15: +15%)."
    )
    base_rate: Annotated[float, Field(gt=0.0, lt=1.0, strict=True)] | None = Field(
        default=None,
        description="Control's reply rate (default: the organization's, last 28 days).",
    )
    daily_exposures_per_arm: Annotated[float, Field(gt=0.0, le=10_000_000)] | None = Field(
        default=None,
        description="Exposures per arm per day (default: the organization's current volume "
        "split over the arms).",
    )
    arms: whole(2, 10) = 2
    power: Annotated[float, Field(ge=0.5, le=0.99, strict=True)] = 0.8
    decision_settings: DecisionSettings = DecisionSettings()


class ExperimentPlan(Output):
    days_always_valid: int | None = Field(
        description="Days until the lift ships with this power when the readout is read every "
        "day (null: not within a year)."
    )
    days_fixed_horizon: int | None = Field(
        description="Days for one look at a pre-set end (for comparison; peeking at it is unsafe)."
    )
    per_arm_always_valid: int | None
    min_days: int
    base_rate: float
    daily_exposures_per_arm: float
    volume_source: str = Field(description="given, or where the organization's volume came from.")


class ExperimentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Day-3 message: tip vs story",
                    "level": "journey",
                    "touchpoint_id": "6f1c2a9e-0000-4000-8000-000000000002",
                    "primary_metric": "reply_rate_24h",
                    "guardrail_metrics": ["opt_out_rate", "delivery_failure_rate"],
                }
            ],
            # The rule of `_target_fits_level`, published.
            "anyOf": [
                {
                    "properties": {
                        "level": {"const": "journey"},
                        "touchpoint_id": PRESENT,
                    },
                    "required": ["touchpoint_id"],
                },
                {
                    "properties": {"level": {"const": "program"}, "program_id": PRESENT},
                    "required": ["program_id"],
                },
            ],
        },
    )

    name: Name
    level: ExperimentLevel
    hypothesis: Annotated[str, Field(max_length=4000)] | None = None
    program_id: Ref | None = None
    touchpoint_id: Ref | None = None
    segment_id: Ref | None = None
    primary_metric: Metric
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] = []
    is_adaptive: Flag = False
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    planned_days: whole(7, 730) | None = None
    decision_settings: DecisionSettings = DecisionSettings()

    @model_validator(mode="after")
    def _target_fits_level(self) -> ExperimentCreate:
        if self.level == ExperimentLevel.JOURNEY and self.touchpoint_id is None:
            raise ValueError("a journey-level experiment tests a touchpoint: set touchpoint_id")
        if self.level == ExperimentLevel.PROGRAM and self.program_id is None:
            raise ValueError("a program-level experiment tests a program: set program_id")
        return self


class ExperimentUpdate(Input):
    name: Name | MISSING = MISSING
    hypothesis: Annotated[str, Field(max_length=4000)] | None = None
    segment_id: Ref | None = None
    status: ExperimentStatus | MISSING = MISSING
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] | MISSING = MISSING
    is_adaptive: Flag | MISSING = MISSING
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    planned_days: whole(7, 730) | None = None
    decision_settings: DecisionSettings | MISSING = MISSING


class ExperimentRead(Stored):
    name: str
    level: ExperimentLevel
    hypothesis: str | None
    program_id: str | None
    touchpoint_id: str | None
    segment_id: str | None
    status: ExperimentStatus
    salt: str
    primary_metric: str
    guardrail_metrics: list[str]
    is_adaptive: bool
    starts_at: datetime | None
    ends_at: datetime | None
    planned_days: int | None
    decision_settings: dict[str, Any]


class FollowUpStrategy(Input):
    """How a variant nudges a worker who did not reply (max_nudges 0 turns nudges off); a
    touchpoint without follow-up content is never nudged."""

    after_days: whole(1, 30) | None = None
    max_nudges: whole(0, 5) | None = None


class VariantSettings(Input):
    """What a program-level variant changes in the program's implementation; every setting left
    out keeps the journey's own. (A journey-level variant changes content: content_variant_key.)"""

    cadence_factor: Annotated[float, Field(ge=0.25, le=4.0, strict=True)] | None = Field(
        default=None,
        description="Scales the main flow's days after enrollment (0.5: twice as fast).",
    )
    send_time: LocalTime | None = Field(
        default=None, description="Local time every touchpoint is sent at."
    )
    channel: Channel | None = Field(default=None, description="whatsapp or sms.")
    follow_up: FollowUpStrategy | None = None


class ExperimentVariantCreate(Input):
    experiment_id: Ref
    key: Key
    name: Name
    is_control: Flag = False
    weight: Annotated[float, Field(gt=0.0, le=1.0, strict=True)]
    content_variant_key: Key | None = None
    settings: VariantSettings = VariantSettings()


class ExperimentVariantUpdate(Input):
    name: Name | MISSING = MISSING
    weight: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] | MISSING = MISSING
    content_variant_key: Key | None = None
    settings: VariantSettings | MISSING = MISSING


class ExperimentVariantRead(Stored):
    experiment_id: str
    key: str
    name: str
    is_control: bool
    weight: float
    content_variant_key: str | None
    settings: dict[str, Any]


class AuditEntryRead(Output):
    id: int
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]
    at: datetime
