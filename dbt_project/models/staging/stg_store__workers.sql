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
        {{ as_json("attributes") }} as attributes,
        {{ audit_columns() }}
    from source
)

select * from renamed
