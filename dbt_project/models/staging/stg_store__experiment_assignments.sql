with

source as (
    {{ current_versions(source('bronze', 'experiment_assignments')) }}
),

renamed as (
    select
        id,
        organization_id,
        experiment_id,
        variant_id,
        worker_id,
        enrollment_id,
        assigned_at,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
