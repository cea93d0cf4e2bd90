{#- Every touchpoint of every enrollment: when the main flow has it due (cadence applied), where
    the flow goes after it, and what happened.

    A view: its two readers (worker_progress, int_schedule_candidates) each compute it faster than
    the warehouse writes it. At 1M workers it is 10.8M rows of 38 columns, whose write was the
    build's longest node (28 s of a full build, more on a busy day); read through the view the two
    take 11.7 s against 4.7 s from the table. -#}
{{ config(materialized='view') }}
with

enrollments as (
    select * from {{ ref('int_enrollment_settings') }}
),

touchpoints as (
    select * from {{ ref('int_journey_steps') }}
),

messages as (
    select
        enrollment_id,
        touchpoint_id,
        min(sent_at) filter (where not is_follow_up) as sent_at,
        bool_or(is_delivered) filter (where not is_follow_up) as delivered,
        bool_or(replied_within_24h) as replied,
        count(*) filter (where is_follow_up) as nudges_sent,
        max(greatest(sent_at, coalesce(first_reply_at, sent_at))) as last_activity_at
    from {{ ref('messages') }}
    where enrollment_id is not null
    group by enrollment_id, touchpoint_id
),

final as (
    select
        enrollments.enrollment_id,
        enrollments.organization_id,
        enrollments.program_id,
        enrollments.program_status,
        enrollments.program_starts_on,
        enrollments.program_ends_on,
        enrollments.worker_id,
        enrollments.enrolled_at,
        enrollments.enrollment_status,
        enrollments.is_holdout,
        touchpoints.touchpoint_id,
        touchpoints.position,
        touchpoints.kind,
        touchpoints.content_id,
        touchpoints.follow_up,
        touchpoints.is_branch,
        touchpoints.flow_next_position,
        touchpoints.phase_position,
        touchpoints.phase_name,
        touchpoints.day_offset,
        cast(round(touchpoints.day_offset * enrollments.cadence_factor) as integer) as effective_day_offset,
        coalesce(enrollments.send_time_override, touchpoints.local_send_time) as local_send_time,
        enrollments.program_variant_id,
        enrollments.program_assignment_source,
        enrollments.channel_override,
        -- The follow-up strategy: the variant's, else the touchpoint's (nudges need its content).
        coalesce(
            enrollments.follow_up_after_days_override,
            {{ try_cast_as(json_text('touchpoints.follow_up', 'after_days'), 'integer') }}
        ) as follow_up_after_days,
        coalesce(
            enrollments.follow_up_max_nudges_override,
            {{ try_cast_as(json_text('touchpoints.follow_up', 'max_nudges'), 'integer') }},
            1
        ) as follow_up_max_nudges,
        messages.sent_at,
        messages.sent_at is not null as is_sent,
        coalesce(messages.delivered, false) as is_delivered,
        coalesce(messages.replied, false) as is_replied,
        coalesce(messages.nudges_sent, 0) as nudges_sent,
        messages.last_activity_at
    from enrollments
    inner join touchpoints on touchpoints.journey_id = enrollments.journey_id
    left join messages
        on messages.enrollment_id = enrollments.enrollment_id
        and messages.touchpoint_id = touchpoints.touchpoint_id
)

select * from final
