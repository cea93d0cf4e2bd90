{#- Enrollment-week cohorts x weeks since enrollment, per program and organization. -#}
with

enrollments as (
    select
        enrollment_id,
        organization_id,
        program_id,
        worker_id,
        enrolled_at,
        enrollment_status,
        cast({{ dbt.date_trunc('week', 'enrolled_at') }} as date) as cohort_week
    from {{ ref('worker_progress') }}
    where not is_holdout
),

ended as (
    select id as enrollment_id, ended_at, status
    from {{ ref('stg_store__enrollments') }}
),

opt_outs as (
    select worker_id, whatsapp_opt_out_at from {{ ref('workers') }}
),

cohort_sizes as (
    select organization_id, program_id, cohort_week, count(*) as cohort_size
    from enrollments
    group by all
),

weeks as (
    select
        cohort_sizes.*,
        {{ integer_series(0, diff('week', 'cohort_week', as_of_date())) }} as weeks_since_enrollment
    from cohort_sizes
),

-- Each enrollment's week first, then the cohort's: counting the active enrollments of a cell as
-- those with a reply takes half the time of a distinct count over the cell's messages.
enrollment_weeks as (
    select
        enrollments.organization_id,
        enrollments.program_id,
        enrollments.cohort_week,
        enrollments.enrollment_id,
        cast(floor({{ diff('day', 'enrollments.enrolled_at', 'messages.sent_at') }} / 7) as bigint) as weeks_since_enrollment,
        count(*) filter (where messages.is_delivered) as messages_delivered,
        count(*) filter (where messages.replied_within_24h) as replies
    from enrollments
    inner join {{ ref('messages') }} as messages on messages.enrollment_id = enrollments.enrollment_id
    group by all
),

activity as (
    select
        organization_id,
        program_id,
        cohort_week,
        weeks_since_enrollment,
        cast(sum(messages_delivered) as bigint) as messages_delivered,
        cast(sum(replies) as bigint) as replies,
        count(*) filter (where replies > 0) as active_enrollments
    from enrollment_weeks
    group by all
),

-- Cumulative outcomes: by the end of week k, how many completed, how many opted out.
outcomes as (
    select
        weeks.organization_id,
        weeks.program_id,
        weeks.cohort_week,
        weeks.weeks_since_enrollment,
        count(*) filter (
            where ended.status = 'completed'
            and ended.ended_at < {{ add_days('enrollments.enrolled_at', 'cast(7 * (weeks.weeks_since_enrollment + 1) as integer)') }}
        ) as completed,
        count(*) filter (
            where opt_outs.whatsapp_opt_out_at < {{ add_days('enrollments.enrolled_at', 'cast(7 * (weeks.weeks_since_enrollment + 1) as integer)') }}
        ) as opted_out
    from weeks
    inner join enrollments
        on enrollments.organization_id = weeks.organization_id
        and enrollments.program_id = weeks.program_id
        and enrollments.cohort_week = weeks.cohort_week
    left join ended on ended.enrollment_id = enrollments.enrollment_id
    left join opt_outs on opt_outs.worker_id = enrollments.worker_id
    group by all
),

final as (
    select
        weeks.organization_id,
        weeks.program_id,
        weeks.cohort_week,
        weeks.weeks_since_enrollment,
        weeks.cohort_size,
        coalesce(activity.active_enrollments, 0) as active_enrollments,
        coalesce(activity.active_enrollments, 0) / weeks.cohort_size as active_share,
        coalesce(activity.messages_delivered, 0) as messages_delivered,
        coalesce(activity.replies, 0) as replies,
        activity.replies / nullif(activity.messages_delivered, 0) as reply_rate,
        outcomes.completed / weeks.cohort_size as completion_share,
        1 - outcomes.opted_out / weeks.cohort_size as retention
    from weeks
    left join activity using (organization_id, program_id, cohort_week, weeks_since_enrollment)
    left join outcomes using (organization_id, program_id, cohort_week, weeks_since_enrollment)
)

select * from final
