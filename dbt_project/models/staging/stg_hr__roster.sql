with

source as (
    select * from {{ source('bronze', 'hr_roster') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by organization_id, employee_id
        order by _ingested_at desc, _source_file desc
    ) = 1
),

renamed as (
    select
        organization_id,
        employee_id as external_id,
        full_name,
        phone as phone_e164,
        team,
        job_role,
        region,
        district,
        hire_date,
        language,
        employment_type
    from latest
)

select * from renamed
