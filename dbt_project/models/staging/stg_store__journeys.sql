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
        {{ as_json("languages") }} as languages,
        is_marketplace_listed,
        source_journey_id,
        {{ audit_columns() }}
    from source
)

select * from renamed
