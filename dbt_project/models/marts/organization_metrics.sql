{#- Each client organization's reply rate, completion and retention, with what makes organizations
    comparable: the type of worker it coaches (its most common job role) and its size band. Read
    by `organization_benchmarks`, which pools similar organizations without naming any, and by an
    organization's own admins beside its benchmark. -#}
with

organizations as (
    select id as organization_id
    from {{ ref('stg_store__organizations') }}
    where type = 'client' and not is_deleted
),

workers as (
    select
        organization_id,
        coalesce(job_role, 'unspecified') as job_role,
        whatsapp_opt_in_at,
        whatsapp_opt_out_at
    from {{ ref('stg_store__workers') }}
    where not is_deleted
),

roles as (
    select organization_id, job_role, count(*) as workers
    from workers
    group by organization_id, job_role
),

{#- Ties between roles go to the first alphabetically, so the type does not flip between builds. -#}
ranked_roles as (
    select
        organization_id,
        job_role,
        row_number() over (partition by organization_id order by workers desc, job_role) as rank
    from roles
),

headcount as (
    select
        organization_id,
        count(*) as workers,
        count(*) filter (where whatsapp_opt_in_at is not null) as opted_in_workers,
        count(*) filter (where whatsapp_opt_in_at is not null and whatsapp_opt_out_at is null)
            as retained_workers
    from workers
    group by organization_id
),

{#- Replies to the journey's own messages (follow-ups excluded) over the last 28 days. -#}
replies as (
    select
        organization_id,
        count(*) as messages_delivered,
        count(*) filter (where replied_within_24h) as replies_within_24h
    from {{ ref('messages') }}
    where enrollment_id is not null
        and not is_follow_up
        and is_delivered
        and sent_at >= {{ dbt.dateadd('day', -28, as_of_timestamp()) }}
        and sent_at < {{ as_of_timestamp() }}
    group by organization_id
),

completion as (
    select
        organization_id,
        count(*) as enrollments,
        count(*) filter (where state = 'completed') as completed_enrollments
    from {{ ref('worker_progress') }}
    where not is_holdout
    group by organization_id
),

final as (
    select
        organizations.organization_id,
        ranked_roles.job_role as worker_type,
        case
            when headcount.workers < 100 then '1-99'
            when headcount.workers < 1000 then '100-999'
            when headcount.workers < 10000 then '1000-9999'
            else '10000+'
        end as size_band,
        headcount.workers,
        round(replies.replies_within_24h / nullif(replies.messages_delivered, 0), 4) as reply_rate,
        round(completion.completed_enrollments / nullif(completion.enrollments, 0), 4) as completion_share,
        round(headcount.retained_workers / nullif(headcount.opted_in_workers, 0), 4) as retention_share,
        {{ as_of_date() }} as as_of_date
    from organizations
    inner join headcount on headcount.organization_id = organizations.organization_id
    inner join ranked_roles
        on ranked_roles.organization_id = organizations.organization_id and ranked_roles.rank = 1
    left join replies on replies.organization_id = organizations.organization_id
    left join completion on completion.organization_id = organizations.organization_id
)

select * from final
