with

source as (
    {{ current_versions(source('bronze', 'journey_phases')) }}
),

renamed as (
    select
        id,
        organization_id,
        journey_id,
        position,
        name,
        description,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
