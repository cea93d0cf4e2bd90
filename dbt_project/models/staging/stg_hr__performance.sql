with

source as (
    select * from {{ source('bronze', 'hr_performance') }}
),

-- When HR re-exports a month, the newest file wins.
latest as (
    select *
    from source
    qualify row_number() over (
        partition by organization_id, employee_id, period, metric
        order by _ingested_at desc, _source_file desc
    ) = 1
),

renamed as (
    select
        organization_id,
        employee_id as external_id,
        phone as phone_e164,
        period,
        cast(period || '-01' as date) as period_start,
        metric,
        value
    from latest
)

select * from renamed
