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
        {{ as_json("guardrail_metrics") }} as guardrail_metrics,
        is_adaptive,
        starts_at,
        ends_at,
        planned_days,
        {{ as_json("coalesce(decision_settings, '{}')") }} as decision_settings,
        {{ audit_columns() }}
    from source
)

select * from renamed
