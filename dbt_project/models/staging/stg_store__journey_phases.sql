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
        {{ audit_columns() }}
    from source
)

select * from renamed
