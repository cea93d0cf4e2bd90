{#- Every touchpoint of every enrollment: when the main flow has it due (cadence applied), where
    the flow goes after it, and what happened. -#}
with

enrollments as (
    select * from {{ ref('stg_store__enrollments') }}
    where not is_deleted
),

programs as (
    select
        id as program_id,
        journey_id,
        status as program_status,
        starts_on as program_starts_on,
        ends_on as program_ends_on
    from {{ ref('stg_store__programs') }}
    where not is_deleted
),

live_touchpoints as (
    select * from {{ ref('stg_store__touchpoints') }}
    where not is_deleted
),

touchpoints as (
    select
        touchpoints.id as touchpoint_id,
        touchpoints.journey_id,
        touchpoints.position,
        touchpoints.day_offset,
        touchpoints.local_send_time,
        touchpoints.kind,
        touchpoints.content_id,
        touchpoints.follow_up,
        touchpoints.branch as is_branch,
        -- Where the worker goes when no rule matches: the touchpoint's own `next`, else the next
        -- main-flow touchpoint after it (null: the journey ends here).
        coalesce(
            touchpoints.next_position,
            (
                select min(main.position)
                from live_touchpoints as main
                where main.journey_id = touchpoints.journey_id
                    and main.position > touchpoints.position
                    and not main.branch
            )
        ) as flow_next_position,
        phases.position as phase_position,
        phases.name as phase_name
    from live_touchpoints as touchpoints
    inner join {{ ref('stg_store__journey_phases') }} as phases on phases.id = touchpoints.phase_id
),

-- Program-level experiments change the implementation: cadence (scaling day offsets) and send time.
program_variants as (
    select
        assignments.enrollment_id,
        variants.id as program_variant_id,
        coalesce({{ try_cast_as(json_text('variants.settings', 'cadence_factor'), 'double') }}, 1.0) as cadence_factor,
        {{ try_cast_as(json_text('variants.settings', 'send_time'), 'time') }} as send_time_override
    from {{ ref('stg_store__experiment_assignments') }} as assignments
    inner join {{ ref('stg_store__experiment_variants') }} as variants on variants.id = assignments.variant_id
    inner join {{ ref('stg_store__experiments') }} as experiments on experiments.id = assignments.experiment_id
    where experiments.level = 'program' and experiments.status = 'running'
    qualify row_number() over (partition by assignments.enrollment_id order by assignments.assigned_at desc) = 1
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
        enrollments.id as enrollment_id,
        enrollments.organization_id,
        enrollments.program_id,
        programs.program_status,
        programs.program_starts_on,
        programs.program_ends_on,
        enrollments.worker_id,
        enrollments.enrolled_at,
        enrollments.status as enrollment_status,
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
        cast(round(touchpoints.day_offset * coalesce(program_variants.cadence_factor, 1.0)) as integer) as effective_day_offset,
        coalesce(program_variants.send_time_override, touchpoints.local_send_time) as local_send_time,
        program_variants.program_variant_id,
        messages.sent_at,
        messages.sent_at is not null as is_sent,
        coalesce(messages.delivered, false) as is_delivered,
        coalesce(messages.replied, false) as is_replied,
        coalesce(messages.nudges_sent, 0) as nudges_sent,
        messages.last_activity_at
    from enrollments
    inner join programs on programs.program_id = enrollments.program_id
    inner join touchpoints on touchpoints.journey_id = programs.journey_id
    left join program_variants on program_variants.enrollment_id = enrollments.id
    left join messages
        on messages.enrollment_id = enrollments.id
        and messages.touchpoint_id = touchpoints.touchpoint_id
)

select * from final
