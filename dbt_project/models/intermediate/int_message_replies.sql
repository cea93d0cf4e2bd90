{#-
    Incremental: a reply is attributed to the latest message sent to its phone before it, so new
    events change only the replies of their own phone received at or after the earliest of them
    (a new reply changes itself; a message sent to the phone, even one ingested late, changes the
    replies received after it). A build recomputes exactly those; `--full-refresh` recomputes
    every reply, to the same rows.
-#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='inbound_sid',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}

with

{% if incremental_ready() -%}
new_events as (
    {{ message_events(
        "kind in ('inbound', 'outbound') and _ingested_at >= " ~ watermark('ingested_at')
    ) }}
),

changed as (
    select
        organization_id,
        case when kind = 'inbound' then from_number else to_number end as phone_e164,
        min(occurred_at) as since
    from new_events
    group by 1, 2
),

events as (
    {{ message_events(
        "kind = 'inbound' and (organization_id, from_number) in "
        ~ "(select organization_id, phone_e164 from changed)"
    ) }}
),
{%- else -%}
events as (
    select * from {{ ref('stg_lake__message_events') }}
    where kind = 'inbound'
),
{%- endif %}

messages as (
    select
        message_sid,
        organization_id,
        to_number as phone_e164,
        sent_at
    from {{ ref('int_message_statuses') }}
    {%- if incremental_ready() %}
    where (organization_id, to_number) in (select organization_id, phone_e164 from changed)
    {%- endif %}
),

inbound as (
    select
        events.message_sid as inbound_sid,
        events.organization_id,
        events.from_number as phone_e164,
        events.worker_id,
        events.body,
        events.button_payload,
        coalesce(events.media_count, 0) as media_count,
        {{ is_opt_out_keyword('events.body') }} as is_opt_out,
        events.occurred_at as received_at,
        events.ingested_at
    from events
    {%- if incremental_ready() %}
    inner join changed
        on changed.organization_id = events.organization_id
        and changed.phone_e164 = events.from_number
        and events.occurred_at >= changed.since
    {%- endif %}
),

-- A reply belongs to the latest message sent to that phone before it (WhatsApp replies rarely
-- carry the id of the message they answer).
attributed as (
    select
        inbound.inbound_sid,
        inbound.organization_id,
        inbound.phone_e164,
        inbound.worker_id,
        inbound.body,
        inbound.button_payload,
        inbound.media_count,
        inbound.is_opt_out,
        inbound.received_at,
        messages.message_sid as in_reply_to_sid,
        messages.sent_at as in_reply_to_sent_at,
        inbound.ingested_at,
        now() as built_at
    {{ latest_before_join(
        'inbound', 'messages', ['organization_id', 'phone_e164'], 'received_at', 'sent_at', 'inbound_sid'
    ) }}
)

select * from attributed
