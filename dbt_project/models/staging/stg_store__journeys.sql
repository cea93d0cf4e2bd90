with

source as (
    {{ current_versions(source('bronze', 'journeys')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        description,
        status,
        cast(languages as json) as languages,
        is_marketplace_listed,
        source_journey_id,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
