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
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
