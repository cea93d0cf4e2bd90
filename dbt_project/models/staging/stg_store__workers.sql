with

source as (
    {{ current_versions(source('bronze', 'workers')) }}
),

renamed as (
    select
        id,
        organization_id,
        external_id,
        display_name,
        phone_e164,
        whatsapp_opt_in_at,
        whatsapp_opt_out_at,
        language,
        timezone,
        country,
        region,
        district,
        team,
        job_role,
        hire_date,
        cast(attributes as json) as attributes,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
