with

enrollments as (
    select * from {{ ref('stg_store__enrollments') }}
    where not is_deleted
),

programs as (
    select id as program_id, journey_id from {{ ref('stg_store__programs') }}
),

touchpoints as (
    select
        touchpoints.id as touchpoint_id,
        touchpoints.journey_id,
        touchpoints.position,
        touchpoints.day_offset,
        touchpoints.kind,
        phases.position as phase_position,
        phases.name as phase_name
    from {{ ref('stg_store__touchpoints') }} as touchpoints
    inner join {{ ref('stg_store__journey_phases') }} as phases on phases.id = touchpoints.phase_id
    where not touchpoints.is_deleted
),

-- Program-level experiments may change the cadence: day offsets scale by the variant's factor.
cadence as (
    select
        assignments.enrollment_id,
        coalesce(try_cast(json_extract_string(variants.settings, '$.cadence_factor') as double), 1.0) as cadence_factor
    from {{ ref('stg_store__experiment_assignments') }} as assignments
    inner join {{ ref('stg_store__experiment_variants') }} as variants on variants.id = assignments.variant_id
    inner join {{ ref('stg_store__experiments') }} as experiments on experiments.id = assignments.experiment_id
    where experiments.level = 'program'
    qualify row_number() over (partition by assignments.enrollment_id order by assignments.assigned_at desc) = 1
),

plan as (
    select
        enrollments.id as enrollment_id,
        enrollments.organization_id,
        enrollments.program_id,
        enrollments.worker_id,
        enrollments.enrolled_at,
        enrollments.status as enrollment_status,
        enrollments.is_holdout,
        touchpoints.*,
        cast(round(touchpoints.day_offset * coalesce(cadence.cadence_factor, 1.0)) as integer) as effective_day_offset
    from enrollments
    inner join programs on programs.program_id = enrollments.program_id
    inner join touchpoints on touchpoints.journey_id = programs.journey_id
    left join cadence on cadence.enrollment_id = enrollments.id
),

sent as (
    select
        enrollment_id,
        touchpoint_id,
        bool_or(is_delivered) as delivered,
        bool_or(replied_within_24h) as replied,
        max(greatest(sent_at, coalesce(first_reply_at, sent_at))) as last_activity_at
    from {{ ref('fct_messages') }}
    where not is_follow_up and enrollment_id is not null
    group by enrollment_id, touchpoint_id
),

per_touchpoint as (
    select
        plan.*,
        -- Local send days are counted from the enrollment day, as the schedule counts them.
        date_diff('day', cast(plan.enrolled_at as date), {{ as_of_date() }}) >= plan.effective_day_offset as is_due,
        sent.touchpoint_id is not null as is_sent,
        coalesce(sent.delivered, false) as is_delivered,
        coalesce(sent.replied, false) as is_replied,
        coalesce(sent.delivered, false) and (plan.kind = 'message' or coalesce(sent.replied, false)) as is_completed,
        sent.last_activity_at
    from plan
    left join sent
        on sent.enrollment_id = plan.enrollment_id
        and sent.touchpoint_id = plan.touchpoint_id
),

rolled_up as (
    select
        enrollment_id,
        organization_id,
        program_id,
        worker_id,
        enrolled_at,
        enrollment_status,
        is_holdout,
        count(*) as touchpoints_total,
        count(*) filter (where is_due) as touchpoints_due,
        count(*) filter (where is_sent) as touchpoints_sent,
        count(*) filter (where is_delivered) as touchpoints_delivered,
        count(*) filter (where is_replied) as touchpoints_replied,
        count(*) filter (where is_completed) as touchpoints_completed,
        max(phase_position) filter (where is_sent) as current_phase_position,
        arg_max(phase_name, position) filter (where is_sent) as current_phase,
        max(last_activity_at) as last_activity_at
    from per_touchpoint
    group by all
),

final as (
    select
        *,
        round(touchpoints_completed / touchpoints_total, 4) as percent_complete,
        case
            when is_holdout then 'holdout'
            when enrollment_status in ('opted_out', 'dropped') then 'dropped'
            when enrollment_status = 'completed' or touchpoints_completed = touchpoints_total then 'completed'
            when touchpoints_due - touchpoints_sent >= 2 then 'behind'
            when touchpoints_sent >= 2 and touchpoints_replied = 0 then 'behind'
            else 'on_track'
        end as state
    from rolled_up
)

select * from final
