{#- Type-2 history of the attributes segments and reports group by, from the bronze change log. -#}
with

versions as (
    select
        id as worker_id,
        organization_id,
        team,
        job_role,
        region,
        district,
        language,
        whatsapp_opt_out_at is not null as is_opted_out,
        deleted_at is not null as is_deleted,
        updated_at
    from {{ source('bronze', 'workers') }}
),

changes as (
    select
        *,
        hash(team, job_role, region, district, language, is_opted_out, is_deleted) as attributes_hash,
        lag(hash(team, job_role, region, district, language, is_opted_out, is_deleted))
            over (partition by worker_id order by updated_at) as previous_hash
    from versions
),

kept as (
    select * from changes
    where previous_hash is null or previous_hash <> attributes_hash
),

final as (
    select
        worker_id,
        organization_id,
        team,
        job_role,
        region,
        district,
        language,
        is_opted_out,
        is_deleted,
        updated_at as valid_from,
        lead(updated_at) over (partition by worker_id order by updated_at) as valid_to,
        lead(updated_at) over (partition by worker_id order by updated_at) is null as is_current
    from kept
)

select * from final
