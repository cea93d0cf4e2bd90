{#- One row per live worker, one column per feature of the catalog (seed feature_catalog). -#}
with

workers as (
    select * from {{ ref('workers') }}
    where status <> 'deleted'
),

hr as (
    select
        organization_id,
        external_id,
        metric,
        value,
        row_number() over (partition by organization_id, external_id, metric order by period desc) as recency
    from {{ ref('stg_hr__performance') }}
    where period_start <= {{ as_of_date() }}
),

performance as (
    select
        organization_id,
        external_id,
        max(value) filter (where metric = 'quality_score' and recency = 1) as quality_score,
        max(value) filter (where metric = 'quality_score' and recency = 1)
            - max(value) filter (where metric = 'quality_score' and recency = 2) as quality_score_trend,
        max(value) filter (where metric = 'attendance_rate' and recency = 1) as attendance_rate,
        max(value) filter (where metric = 'attendance_rate' and recency = 1)
            - max(value) filter (where metric = 'attendance_rate' and recency = 2) as attendance_rate_trend,
        max(value) filter (
            where metric in ('visits_completed', 'farmers_visited', 'sales_amount') and recency = 1
        ) as output_volume
    from hr
    group by organization_id, external_id
),

messages as (
    select
        worker_id,
        sent_at,
        delivered_at,
        replied_within_24h,
        quiz_answer_correct,
        check_in_score,
        first_reply_at
    from {{ ref('messages') }}
    where is_delivered and delivered_at < {{ as_of_timestamp() }}
),

behaviour as (
    select
        worker_id,
        {% for days in [7, 30, 90] %}
        count(*) filter (where delivered_at >= {{ dbt.dateadd('day', -days, as_of_timestamp()) }}) as messages_received_{{ days }}d,
        count(*) filter (where replied_within_24h and delivered_at >= {{ dbt.dateadd('day', -days, as_of_timestamp()) }}) as replies_{{ days }}d,
        {% endfor %}
        avg(case when quiz_answer_correct then 1.0 when not quiz_answer_correct then 0.0 end)
            filter (where delivered_at >= {{ dbt.dateadd('day', -30, as_of_timestamp()) }}) as quiz_score_30d,
        count(check_in_score) filter (where delivered_at >= {{ dbt.dateadd('day', -30, as_of_timestamp()) }}) as check_ins_30d,
        {{ diff('day', 'cast(max(first_reply_at) as date)', as_of_date()) }} as days_since_last_reply
    from messages
    group by worker_id
),

-- Replies in a row, counting back from the latest delivered message.
streaks as (
    select worker_id, count(*) as reply_streak
    from (
        select
            worker_id,
            sum(case when replied_within_24h then 0 else 1 end) over (
                partition by worker_id order by sent_at desc rows unbounded preceding
            ) as misses
        from messages
    )
    where misses = 0
    group by worker_id
),

latest_enrollment as (
    select worker_id, max(enrolled_at) as enrolled_at
    from {{ ref('stg_store__enrollments') }}
    where not is_deleted
    group by worker_id
),

final as (
    select
        workers.worker_id,
        workers.organization_id,
        workers.team,
        workers.job_role,
        {{ json_text('workers.attributes', 'employment_type') }} as employment_type,
        workers.language,
        workers.country,
        workers.region,
        workers.district,
        performance.quality_score,
        performance.quality_score_trend,
        performance.attendance_rate,
        performance.attendance_rate_trend,
        performance.output_volume,
        {% for days in [7, 30, 90] %}
        coalesce(behaviour.messages_received_{{ days }}d, 0) as messages_received_{{ days }}d,
        coalesce(behaviour.replies_{{ days }}d, 0) as replies_{{ days }}d,
        behaviour.replies_{{ days }}d / nullif(behaviour.messages_received_{{ days }}d, 0) as reply_rate_{{ days }}d,
        {% endfor %}
        behaviour.quiz_score_30d,
        coalesce(behaviour.check_ins_30d, 0) as check_ins_30d,
        behaviour.days_since_last_reply,
        coalesce(streaks.reply_streak, 0) as reply_streak,
        workers.tenure_days,
        {{ diff('day', 'cast(latest_enrollment.enrolled_at as date)', as_of_date()) }} as days_since_enrollment,
        -- Noon of the build day, seen from the worker's timezone.
        {{ day_of_week(local_to_utc('workers.timezone', dbt.dateadd('hour', 12, 'cast(' ~ as_of_date() ~ ' as timestamp)'))) }} as local_day_of_week,
        workers.is_opted_out
    from workers
    left join performance
        on performance.organization_id = workers.organization_id
        and performance.external_id = workers.external_id
    left join behaviour on behaviour.worker_id = workers.worker_id
    left join streaks on streaks.worker_id = workers.worker_id
    left join latest_enrollment on latest_enrollment.worker_id = workers.worker_id
)

select * from final
