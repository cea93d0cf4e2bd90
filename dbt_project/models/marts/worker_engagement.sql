{#-
    Gamification: points and streaks per worker. A reply within 24 hours earns 10 points, a correct
    quiz answer 5 more, a wellbeing check-in 3 more. A streak is consecutive local days with a reply.
-#}
with

messages as (
    select
        messages.worker_id,
        messages.organization_id,
        messages.first_reply_at,
        {{ engagement_points('messages') }} as points,
        cast({{ utc_to_local('workers.timezone', 'messages.first_reply_at') }} as date) as reply_local_date
    from {{ ref('messages') }} as messages
    inner join {{ ref('workers') }} as workers on workers.worker_id = messages.worker_id
    where messages.first_reply_at < {{ as_of_timestamp() }}
),

reply_days as (
    select distinct worker_id, reply_local_date
    from messages
    where reply_local_date is not null
),

-- Gaps-and-islands: days in a run share (day - row number).
runs as (
    select
        worker_id,
        reply_local_date - cast(row_number() over (partition by worker_id order by reply_local_date) as integer) as run_id,
        reply_local_date
    from reply_days
),

streaks as (
    select
        worker_id,
        run_id,
        count(*) as days,
        max(reply_local_date) as last_day
    from runs
    group by worker_id, run_id
),

streak_summary as (
    select
        worker_id,
        max(days) as best_streak_days,
        max(days) filter (where last_day >= {{ as_of_date() }} - 1) as current_streak_days
    from streaks
    group by worker_id
),

points as (
    select
        worker_id,
        organization_id,
        sum(points) as points_total,
        sum(points) filter (where first_reply_at >= {{ dbt.dateadd('day', -7, as_of_timestamp()) }}) as points_7d
    from messages
    group by worker_id, organization_id
),

final as (
    select
        workers.worker_id,
        workers.organization_id,
        workers.team,
        coalesce(points.points_total, 0) as points_total,
        coalesce(points.points_7d, 0) as points_7d,
        coalesce(streak_summary.current_streak_days, 0) as current_streak_days,
        coalesce(streak_summary.best_streak_days, 0) as best_streak_days
    from {{ ref('workers') }} as workers
    left join points on points.worker_id = workers.worker_id
    left join streak_summary on streak_summary.worker_id = workers.worker_id
    where workers.status <> 'deleted'
)

select * from final
