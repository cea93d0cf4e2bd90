with

source as (
    {{ current_versions(source('bronze', 'content_variants')) }}
),

renamed as (
    select
        id,
        organization_id,
        content_id,
        variant_key,
        language,
        body,
        template_sid,
        cast(template_variables as json) as template_variables,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
