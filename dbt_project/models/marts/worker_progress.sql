with

-- Days are counted from the local enrollment day, as the schedule counts them: once per
-- enrollment, not per touchpoint (10.8M time zone conversions at 1M workers).
enrollment_days as (
    select
        settings.enrollment_id,
        {{ diff('day', 'cast(' ~ utc_to_local('workers.timezone', 'settings.enrolled_at') ~ ' as date)', as_of_date()) }} as days_enrolled
    from {{ ref('int_enrollment_settings') }} as settings
    inner join {{ ref('workers') }} as workers on workers.worker_id = settings.worker_id
),

per_touchpoint as (
    select
        plan.*,
        enrollment_days.days_enrolled >= plan.effective_day_offset as is_due,
        plan.is_delivered and (plan.kind = 'message' or plan.is_replied) as is_completed
    from {{ ref('int_enrollment_touchpoints') }} as plan
    inner join enrollment_days on enrollment_days.enrollment_id = plan.enrollment_id
    -- Progress is through the main flow; branches (remedial, support) come on top of it.
    where not plan.is_branch
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
        {{ value_at_max('phase_name', 'position') }} filter (where is_sent) as current_phase,
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
