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
        {{ audit_columns() }}
    from source
)

select * from renamed
