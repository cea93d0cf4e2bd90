with

source as (
    {{ current_versions(source('bronze', 'segments')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        description,
        kind,
        cast(rule as json) as rule,
        is_active,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
