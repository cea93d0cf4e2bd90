with

source as (
    {{ current_versions(source('bronze', 'programs')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        journey_id,
        segment_id,
        status,
        starts_on,
        ends_on,
        holdout_share,
        channel,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
