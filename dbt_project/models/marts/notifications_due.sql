{#-
    What people inside each organization must be told: one row per stable key (kind, subject,
    period), with the recipient named by role or by assignment (the program's manager). The
    notifier claims each key once, resolves the recipient to users of the store at the last step
    (a manager who left is stood in for by the admins) and delivers it on the channels each user
    chose. Identity stays out of the lake: rows carry ids, the notifier adds names.
-#}
with

kinds as (
    select * from {{ ref('notification_kinds') }}
),

organizations as (
    select id as organization_id, monthly_message_quota, timezone
    from {{ ref('stg_store__organizations') }}
    where not is_deleted
),

programs as (
    select id as program_id, organization_id, manager_id
    from {{ ref('stg_store__programs') }}
    where not is_deleted
),

enrollments as (
    select *
    from {{ ref('stg_store__enrollments') }}
    where not is_deleted
),

-- The month's messages against the organization's quota (UTC months, as activation counts them).
month_sends as (
    select organization_id, count(*) as sent
    from {{ ref('messages') }}
    where sent_at >= cast({{ dbt.date_trunc('month', as_of_date()) }} as {{ dbt.type_timestamp() }})
        and sent_at < {{ as_of_timestamp() }}
    group by organization_id
),

quota as (
    select
        organizations.organization_id,
        kinds.kind,
        'organization' as subject_type,
        organizations.organization_id as subject_id,
        substring(cast({{ dbt.date_trunc('month', as_of_date()) }} as string), 1, 7) as period,
        cast(null as string) as program_id,
        cast(month_sends.sent as double) / organizations.monthly_message_quota as measured,
        kinds.threshold as reference,
        cast(month_sends.sent as string) || ' of ' || cast(organizations.monthly_message_quota as string) as detail
    from organizations
    inner join month_sends on month_sends.organization_id = organizations.organization_id
    inner join kinds on kinds.kind in ('quota_warning', 'quota_reached')
    where organizations.monthly_message_quota > 0
        and month_sends.sent >= kinds.threshold * organizations.monthly_message_quota
),

-- The program each worker was enrolled in last: whose manager hears of the worker.
latest_enrollment as (
    select worker_id, program_id
    from (
        select
            worker_id,
            program_id,
            row_number() over (partition by worker_id order by enrolled_at desc, id) as recency
        from enrollments
    ) as ranked
    where recency = 1
),

wellbeing as (
    select
        checkins.organization_id,
        'wellbeing_decline' as kind,
        'worker' as subject_type,
        checkins.worker_id as subject_id,
        cast(cast(checkins.latest_at as date) as string) as period,
        latest_enrollment.program_id,
        cast(checkins.latest_score as double) as measured,
        checkins.previous_average as reference,
        cast(checkins.check_ins as string) || ' check-ins' as detail
    from {{ ref('wellbeing_checkins') }} as checkins
    left join latest_enrollment on latest_enrollment.worker_id = checkins.worker_id
    where checkins.is_declining
),

experiments as (
    select id as experiment_id, program_id, primary_metric
    from {{ ref('stg_store__experiments') }}
    where not is_deleted
),

decisions as (
    select
        results.organization_id,
        'experiment_decision' as kind,
        'experiment' as subject_type,
        results.experiment_id as subject_id,
        results.decision as period,
        max(experiments.program_id) as program_id,
        max(results.chance_to_beat) as measured,
        cast(null as double) as reference,
        max(results.decision_reason) as detail
    from {{ ref('experiment_results') }} as results
    inner join experiments
        on experiments.experiment_id = results.experiment_id
        and experiments.primary_metric = results.metric
    where results.dimension = 'all'
        and results.decision in ('ship', 'stop_for_futility', 'investigate_srm')
    group by results.organization_id, results.experiment_id, results.decision
),

-- Each enrollment's local day of enrollment and of its worker's opt-out.
enrollment_days as (
    select
        enrollments.program_id,
        enrollments.organization_id,
        cast({{ utc_to_local('organizations.timezone', 'enrollments.enrolled_at') }} as date) as enrolled_on,
        cast({{ utc_to_local('organizations.timezone', 'workers.whatsapp_opt_out_at') }} as date) as opted_out_on
    from enrollments
    inner join {{ ref('stg_store__workers') }} as workers on workers.id = enrollments.worker_id
    inner join organizations on organizations.organization_id = enrollments.organization_id
),

day_changes as (
    select program_id, organization_id, enrolled_on as day, 1 as enrolled, 0 as opted_out
    from enrollment_days
    union all
    select program_id, organization_id, opted_out_on as day, 0 as enrolled, 1 as opted_out
    from enrollment_days
    where opted_out_on is not null
),

program_days as (
    select program_id, organization_id, day, sum(enrolled) as enrolled, sum(opted_out) as opted_out
    from day_changes
    group by program_id, organization_id, day
),

-- Enrollments by the end of each day, less those that opted out before it began.
running as (
    select
        *,
        sum(enrolled) over (
            partition by program_id order by day rows between unbounded preceding and current row
        ) - coalesce(sum(opted_out) over (
            partition by program_id order by day rows between unbounded preceding and 1 preceding
        ), 0) as base
    from program_days
),

bulk_opt_outs as (
    select
        running.organization_id,
        'bulk_opt_out' as kind,
        'program' as subject_type,
        running.program_id as subject_id,
        cast(running.day as string) as period,
        running.program_id,
        cast(running.opted_out as double) / running.base as measured,
        kinds.threshold as reference,
        cast(running.opted_out as string) || ' of ' || cast(running.base as string) as detail
    from running
    inner join kinds on kinds.kind = 'bulk_opt_out'
    where running.opted_out > 0 and running.base > 0
        and cast(running.opted_out as double) / running.base > kinds.threshold
),

raised as (
    select * from quota
    union all
    select * from wellbeing
    union all
    select * from decisions
    union all
    select * from bulk_opt_outs
),

final as (
    select
        raised.kind || ':' || raised.subject_id || ':' || raised.period as notification_key,
        raised.organization_id,
        raised.kind,
        raised.subject_type,
        raised.subject_id,
        raised.period,
        kinds.severity,
        case when kinds.recipient = 'manager' then programs.manager_id end as recipient_user_id,
        case
            when kinds.recipient = 'manager' and programs.manager_id is not null then null
            else 'admin'
        end as recipient_role,
        raised.program_id,
        raised.measured,
        raised.reference,
        raised.detail
    from raised
    inner join kinds on kinds.kind = raised.kind
    left join programs on programs.program_id = raised.program_id
)

select * from final
