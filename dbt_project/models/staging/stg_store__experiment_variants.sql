with

source as (
    {{ current_versions(source('bronze', 'experiment_variants')) }}
),

renamed as (
    select
        id,
        organization_id,
        experiment_id,
        key,
        name,
        is_control,
        weight,
        content_variant_key,
        cast(settings as json) as settings,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
