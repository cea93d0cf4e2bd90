{#-
    Wellbeing check-ins per worker: the latest score (1-5), the average of the three before it, the
    trend between them, and a flag for a decline worth a human look (latest 2 or less, or a drop of
    1.5 points or more).
-#}
with

checkins as (
    select
        worker_id,
        organization_id,
        first_reply_at as answered_at,
        check_in_score as score,
        row_number() over (partition by worker_id order by first_reply_at desc) as recency
    from {{ ref('messages') }}
    where check_in_score between 1 and 5
),

summary as (
    select
        worker_id,
        organization_id,
        count(*) as check_ins,
        max(score) filter (where recency = 1) as latest_score,
        max(answered_at) filter (where recency = 1) as latest_at,
        avg(score) filter (where recency between 2 and 4) as previous_average
    from checkins
    group by worker_id, organization_id
),

final as (
    select
        *,
        latest_score - previous_average as trend,
        latest_score <= 2 or coalesce(latest_score - previous_average <= -1.5, false) as is_declining
    from summary
)

select * from final
