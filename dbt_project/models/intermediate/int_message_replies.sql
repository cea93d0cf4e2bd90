with

events as (
    select * from {{ ref('stg_lake__message_events') }}
),

messages as (
    select
        message_sid,
        organization_id,
        to_number as phone_e164,
        sent_at
    from {{ ref('int_message_statuses') }}
),

inbound as (
    select
        message_sid as inbound_sid,
        organization_id,
        from_number as phone_e164,
        worker_id,
        body,
        {{ is_opt_out_keyword('body') }} as is_opt_out,
        occurred_at as received_at
    from events
    where kind = 'inbound'
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
        inbound.is_opt_out,
        inbound.received_at,
        messages.message_sid as in_reply_to_sid,
        messages.sent_at as in_reply_to_sent_at
    from inbound
    asof left join messages
        on messages.organization_id = inbound.organization_id
        and messages.phone_e164 = inbound.phone_e164
        and inbound.received_at >= messages.sent_at
)

select * from attributed
