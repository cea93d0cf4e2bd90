with

source as (
    {{ current_versions(source('bronze', 'enrollments')) }}
),

renamed as (
    select
        id,
        organization_id,
        program_id,
        worker_id,
        enrolled_at,
        status,
        is_holdout,
        ended_at,
        {{ audit_columns() }}
    from source
)

select * from renamed
