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
        planned_days,
        cast(coalesce(decision_settings, '{}') as json) as decision_settings,
        {{ audit_columns() }}
    from source
)

select * from renamed
