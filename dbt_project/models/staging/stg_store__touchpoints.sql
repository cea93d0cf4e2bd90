with

source as (
    {{ current_versions(source('bronze', 'touchpoints')) }}
),

renamed as (
    select
        id,
        organization_id,
        journey_id,
        phase_id,
        position,
        name,
        kind,
        day_offset,
        local_send_time,
        content_id,
        {{ as_json("follow_up") }} as follow_up,
        -- Rows written before journey rules existed (migration 0005) read as null: main flow.
        coalesce(branch, false) as branch,
        next_name,
        next_position,
        {{ as_json("coalesce(rules, '[]')") }} as rules,
        {{ audit_columns() }}
    from source
)

select * from renamed
