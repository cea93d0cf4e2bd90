{#- Weekly leaderboards per team: points earned in the week, ranked within the team. -#}
with

points as (
    select
        messages.organization_id,
        workers.team,
        messages.worker_id,
        cast({{ dbt.date_trunc('week', 'messages.first_reply_at') }} as date) as week_start,
        sum({{ engagement_points('messages') }}) as points
    from {{ ref('messages') }} as messages
    inner join {{ ref('workers') }} as workers on workers.worker_id = messages.worker_id
    where messages.first_reply_at is not null and workers.team is not null
    group by all
),

final as (
    select
        organization_id,
        team,
        week_start,
        worker_id,
        points,
        rank() over (partition by organization_id, team, week_start order by points desc) as rank_in_team
    from points
    where points > 0
)

select * from final
