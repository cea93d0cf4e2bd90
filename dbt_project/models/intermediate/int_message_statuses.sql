{#-
    Incremental: a build recomputes only the messages with an event ingested since the last one
    (every event of those messages is read again, so a callback that arrives days later resolves
    its message as a full build would); `--full-refresh` rebuilds every message, to the same rows.
-#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='message_sid',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}

with

events as (
    {% if incremental_ready() -%}
    {{ message_events(
        "message_sid in (select message_sid from " ~ source('bronze', 'message_events')
        ~ " where _ingested_at >= " ~ watermark('ingested_at') ~ ")"
    ) }}
    {%- else -%}
    select * from {{ ref('stg_lake__message_events') }}
    {%- endif %}
),

ingested as (
    select message_sid, max(ingested_at) as ingested_at
    from events
    group by message_sid
),

ranks as (
    select * from {{ ref('message_status_ranks') }}
),

outbound as (
    select
        message_sid,
        organization_id,
        worker_id,
        enrollment_id,
        touchpoint_id,
        experiment_variant_id,
        coalesce(is_follow_up, false) as is_follow_up,
        channel,
        from_number,
        to_number,
        occurred_at as sent_at
    from events
    where kind = 'outbound'
    qualify row_number() over (partition by message_sid order by occurred_at) = 1
),

callbacks as (
    select
        events.message_sid,
        events.status,
        events.error_code,
        events.occurred_at,
        ranks.status_rank,
        ranks.is_failure
    from events
    inner join ranks on ranks.status = events.status
    where events.kind = 'status'
),

timeline as (
    select
        message_sid,
        {{ value_at_max('status', 'status_rank') }} as final_status,
        max(error_code) filter (where is_failure) as error_code,
        min(occurred_at) filter (where status = 'sent') as sent_callback_at,
        min(occurred_at) filter (where status = 'delivered') as delivered_callback_at,
        min(occurred_at) filter (where status = 'read') as read_at,
        min(occurred_at) filter (where is_failure) as failed_at,
        count(*) as callbacks
    from callbacks
    group by message_sid
),

final as (
    select
        outbound.*,
        coalesce(timeline.final_status, 'accepted') as final_status,
        timeline.error_code,
        -- A read receipt proves delivery even when the delivered callback was lost.
        coalesce(timeline.delivered_callback_at, timeline.read_at) as delivered_at,
        timeline.read_at,
        timeline.failed_at,
        coalesce(timeline.callbacks, 0) as callbacks,
        coalesce(timeline.delivered_callback_at < timeline.sent_callback_at, false) as had_out_of_order_callbacks,
        ingested.ingested_at,
        now() as built_at
    from outbound
    left join timeline on timeline.message_sid = outbound.message_sid
    inner join ingested on ingested.message_sid = outbound.message_sid
)

select * from final
