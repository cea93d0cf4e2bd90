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
        on_segment_exit,
        max_sync_change_share,
        {{ as_json("objectives") }} as objectives,
        manager_id,
        {{ audit_columns() }}
    from source
)

select * from renamed
