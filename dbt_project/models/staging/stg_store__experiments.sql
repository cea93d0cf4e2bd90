with

source as (
    {{ current_versions(source('bronze', 'experiments')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        level,
        hypothesis,
        program_id,
        touchpoint_id,
        segment_id,
        status,
        salt,
        primary_metric,
        cast(guardrail_metrics as json) as guardrail_metrics,
        is_adaptive,
        starts_at,
        ends_at,
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
)

select * from renamed
