with

messages as (
    select * from {{ ref('int_message_statuses') }}
),

replies as (
    select
        in_reply_to_sid as message_sid,
        min(received_at) filter (where not is_opt_out) as first_reply_at,
        {{ value_at_min('body', 'received_at') }} filter (where not is_opt_out) as first_reply_body,
        count(*) filter (where not is_opt_out) as replies,
        bool_or(is_opt_out) as opted_out_in_reply
    from {{ ref('int_message_replies') }}
    where in_reply_to_sid is not null
    group by in_reply_to_sid
),

enrollments as (
    select id as enrollment_id, program_id from {{ ref('stg_store__enrollments') }}
),

touchpoints as (
    select
        touchpoints.id as touchpoint_id,
        touchpoints.kind as touchpoint_kind,
        touchpoints.name as touchpoint_name,
        content.correct_answer
    from {{ ref('stg_store__touchpoints') }} as touchpoints
    left join {{ ref('stg_store__content') }} as content on content.id = touchpoints.content_id
),

final as (
    select
        messages.message_sid,
        messages.organization_id,
        messages.worker_id,
        messages.enrollment_id,
        enrollments.program_id,
        messages.touchpoint_id,
        touchpoints.touchpoint_kind,
        touchpoints.touchpoint_name,
        messages.experiment_variant_id,
        messages.is_follow_up,
        messages.channel,
        messages.sent_at,
        messages.final_status,
        messages.final_status in ('delivered', 'read') as is_delivered,
        messages.error_code,
        messages.delivered_at,
        messages.read_at,
        {{ diff('second', 'messages.sent_at', 'messages.delivered_at') }} as seconds_to_deliver,
        {{ diff('second', 'messages.delivered_at', 'messages.read_at') }} as seconds_to_read,
        replies.first_reply_at,
        replies.first_reply_body,
        coalesce(replies.replies, 0) as replies,
        coalesce(
            replies.first_reply_at <= {{ dbt.dateadd('hour', 24, 'coalesce(messages.delivered_at, messages.sent_at)') }},
            false
        ) as replied_within_24h,
        case
            when touchpoints.touchpoint_kind = 'quiz' and replies.first_reply_body is not null
                then upper(trim(replies.first_reply_body)) = touchpoints.correct_answer
        end as quiz_answer_correct,
        case
            when touchpoints.touchpoint_kind = 'check_in'
                then {{ try_cast_as('trim(replies.first_reply_body)', 'integer') }}
        end as check_in_score,
        coalesce(replies.opted_out_in_reply, false) as opted_out_in_reply,
        messages.had_out_of_order_callbacks
    from messages
    left join replies on replies.message_sid = messages.message_sid
    left join enrollments on enrollments.enrollment_id = messages.enrollment_id
    left join touchpoints on touchpoints.touchpoint_id = messages.touchpoint_id
)

select * from final
