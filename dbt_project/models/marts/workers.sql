with

workers as (
    select * from {{ ref('stg_store__workers') }}
),

enrollments as (
    select
        worker_id,
        count(*) as enrollments,
        count(*) filter (where status = 'active') as active_enrollments
    from {{ ref('stg_store__enrollments') }}
    where not is_deleted
    group by worker_id
),

activity as (
    select
        worker_id,
        max(sent_at) as last_message_at,
        max(first_reply_at) as last_reply_at
    from {{ ref('messages') }}
    group by worker_id
),

final as (
    select
        workers.id as worker_id,
        workers.organization_id,
        workers.external_id,
        workers.display_name,
        workers.phone_e164,
        workers.language,
        workers.timezone,
        workers.country,
        workers.region,
        workers.district,
        workers.team,
        workers.job_role,
        workers.hire_date,
        {{ diff('day', 'workers.hire_date', as_of_date()) }} as tenure_days,
        workers.whatsapp_opt_in_at,
        workers.whatsapp_opt_out_at,
        workers.whatsapp_opt_in_at is not null and workers.whatsapp_opt_out_at is null as can_receive_whatsapp,
        workers.whatsapp_opt_out_at is not null as is_opted_out,
        case
            when workers.is_deleted then 'deleted'
            when workers.whatsapp_opt_out_at is not null then 'opted_out'
            when workers.whatsapp_opt_in_at is null then 'not_opted_in'
            else 'active'
        end as status,
        cast(workers.attributes as string) as attributes,
        coalesce(enrollments.enrollments, 0) as enrollments,
        coalesce(enrollments.active_enrollments, 0) as active_enrollments,
        activity.last_message_at,
        activity.last_reply_at,
        workers.updated_at
    from workers
    left join enrollments on enrollments.worker_id = workers.id
    left join activity on activity.worker_id = workers.id
)

select * from final
