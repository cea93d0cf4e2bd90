with

source as (
    select * from {{ source('bronze', 'message_events') }}
),

renamed as (
    select
        event_key,
        kind,
        message_sid,
        status,
        error_code,
        channel,
        from_number,
        to_number,
        organization_id,
        worker_id,
        enrollment_id,
        touchpoint_id,
        experiment_variant_id,
        is_follow_up,
        body,
        occurred_at,
        _source_file as source_file
    from source
),

-- Ingestion collapses duplicate deliveries within a day; a webhook retry that crossed midnight
-- can sit in two days, so collapse once more across days.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (partition by event_key order by occurred_at, source_file) = 1
)

select * from deduplicated
