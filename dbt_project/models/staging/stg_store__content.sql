with

source as (
    {{ current_versions(source('bronze', 'content')) }}
),

renamed as (
    select
        id,
        organization_id,
        key,
        kind,
        description,
        correct_answer,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
