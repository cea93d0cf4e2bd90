{#-
    Incremental: a build recomputes the messages whose status was rebuilt since its last build,
    those whose replies may have moved (on each phone with rebuilt replies, the message that was
    the latest before the earliest change, and every later one), and those whose touchpoint,
    quiz answer or enrollment now reads differently. `--full-refresh` recomputes every message,
    to the same rows. (A table built before `built_at` existed gets the column, empty, and is
    recomputed whole once; the contract allows only new columns to be appended.)
-#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='message_sid',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

with

statuses as (
    select * from {{ ref('int_message_statuses') }}
),

enrollments as (
    select id as enrollment_id, program_id from {{ ref('stg_store__enrollments') }}
),

touchpoints as (
    select
        touchpoints.id as touchpoint_id,
        touchpoints.kind as touchpoint_kind,
        touchpoints.name as touchpoint_name,
        touchpoints.content_id,
        content.correct_answer,
        option_sets.options_digest
    from {{ ref('stg_store__touchpoints') }} as touchpoints
    left join {{ ref('stg_store__content') }} as content on content.id = touchpoints.content_id
    left join (
        select distinct content_id, options_digest from {{ ref('int_content_options') }}
    ) as option_sets on option_sets.content_id = touchpoints.content_id
),

{% if incremental_ready() -%}
since_last_build as (
    select {{ watermark('built_at') }} as previous_build
),

rebuilt_replies as (
    select organization_id, phone_e164, min(received_at) as first_received
    from {{ ref('int_message_replies') }}
    where built_at >= (select previous_build from since_last_build)
    group by 1, 2
),

rebuilt_sends as (
    select organization_id, to_number as phone_e164, min(sent_at) as first_sent
    from statuses
    where built_at >= (select previous_build from since_last_build)
    group by 1, 2
),

-- On a phone whose replies were rebuilt, a reply may have moved from the message that was the
-- latest before the earliest change (a rebuilt reply, or a message rebuilt because its events
-- arrived, however late) to a later one: that message and every later one are recomputed.
reply_windows as (
    select
        changes.organization_id,
        changes.phone_e164,
        max(statuses.sent_at) as opens_at
    from (
        select
            rebuilt_replies.organization_id,
            rebuilt_replies.phone_e164,
            least(
                rebuilt_replies.first_received,
                coalesce(rebuilt_sends.first_sent, rebuilt_replies.first_received)
            ) as cutoff
        from rebuilt_replies
        left join rebuilt_sends
            on rebuilt_sends.organization_id = rebuilt_replies.organization_id
            and rebuilt_sends.phone_e164 = rebuilt_replies.phone_e164
    ) as changes
    left join statuses
        on statuses.organization_id = changes.organization_id
        and statuses.to_number = changes.phone_e164
        and statuses.sent_at < changes.cutoff
    group by 1, 2
),

-- Rows already built that would now read differently: a touchpoint renamed or re-kinded, a quiz
-- answer changed, an enrollment that reached the store after its messages.
stale as (
    select built.message_sid
    from {{ this }} as built
    left join touchpoints on touchpoints.touchpoint_id = built.touchpoint_id
    left join enrollments on enrollments.enrollment_id = built.enrollment_id
    where built.touchpoint_kind is distinct from touchpoints.touchpoint_kind
        or built.touchpoint_name is distinct from touchpoints.touchpoint_name
        or built.program_id is distinct from enrollments.program_id
        or built.options_digest is distinct from touchpoints.options_digest
        or (
            touchpoints.touchpoint_kind = 'quiz' and built.first_reply_body is not null
            and touchpoints.options_digest is null
            and built.quiz_answer_correct
                is distinct from (upper(trim(built.first_reply_body)) = touchpoints.correct_answer)
        )
),

recomputed as (
    select message_sid from statuses where built_at >= (select previous_build from since_last_build)
    union
    select statuses.message_sid
    from statuses
    inner join reply_windows
        on reply_windows.organization_id = statuses.organization_id
        and reply_windows.phone_e164 = statuses.to_number
        and (reply_windows.opens_at is null or statuses.sent_at >= reply_windows.opens_at)
    union
    select message_sid from stale
),

messages as (
    select * from statuses
    where message_sid in (select message_sid from recomputed)
),
{%- else -%}
messages as (
    select * from statuses
),
{%- endif %}

replies as (
    select
        in_reply_to_sid as message_sid,
        min(received_at) filter (where not is_opt_out) as first_reply_at,
        {{ value_at_min('body', 'received_at') }} filter (where not is_opt_out) as first_reply_body,
        {{ value_at_min('button_payload', 'received_at') }} filter (where not is_opt_out) as first_reply_button_payload,
        count(*) filter (where not is_opt_out) as replies,
        sum(media_count) as reply_media_count,
        bool_or(is_opt_out) as opted_out_in_reply
    from {{ ref('int_message_replies') }}
    {%- if incremental_ready() %}
    where in_reply_to_sid in (select message_sid from messages)
    {%- else %}
    where in_reply_to_sid is not null
    {%- endif %}
    group by in_reply_to_sid
),

-- The option a first reply chose: the tapped payload, else typed text matched to an option by its
-- payload ("B"), its label ("B) Most days") or its place in the list ("2"), in that order.
answered as (
    select
        replies.message_sid,
        options.payload as answer_payload,
        options.is_correct as answer_is_correct,
        options.score as answer_score,
        case
            when options.payload = replies.first_reply_button_payload then 'tap' else 'text'
        end as answer_source
    from replies
    inner join messages on messages.message_sid = replies.message_sid
    inner join touchpoints on touchpoints.touchpoint_id = messages.touchpoint_id
    inner join {{ ref('int_content_options') }} as options
        on options.content_id = touchpoints.content_id
    where options.payload = replies.first_reply_button_payload
        or upper(trim(replies.first_reply_body)) in (
            upper(options.payload),
            upper(trim(options.option_text)),
            cast(options.position as string)
        )
    qualify row_number() over (
        partition by replies.message_sid
        order by
            case
                when options.payload = replies.first_reply_button_payload then 0
                when upper(trim(replies.first_reply_body)) = upper(options.payload) then 1
                when upper(trim(replies.first_reply_body)) = upper(trim(options.option_text)) then 2
                else 3
            end,
            options.position
    ) = 1
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
        answered.answer_payload,
        answered.answer_source,
        case
            when touchpoints.touchpoint_kind = 'quiz' and replies.first_reply_body is not null
                then case
                    when touchpoints.options_digest is not null
                        then coalesce(answered.answer_is_correct, false)
                    else upper(trim(replies.first_reply_body)) = touchpoints.correct_answer
                end
        end as quiz_answer_correct,
        case
            when touchpoints.touchpoint_kind = 'check_in'
                then coalesce(
                    answered.answer_score,
                    {{ try_cast_as('trim(replies.first_reply_body)', 'integer') }}
                )
        end as check_in_score,
        cast(coalesce(replies.reply_media_count, 0) as integer) as reply_media_count,
        touchpoints.options_digest,
        coalesce(replies.opted_out_in_reply, false) as opted_out_in_reply,
        messages.had_out_of_order_callbacks,
        now() as built_at
    from messages
    left join replies on replies.message_sid = messages.message_sid
    left join enrollments on enrollments.enrollment_id = messages.enrollment_id
    left join touchpoints on touchpoints.touchpoint_id = messages.touchpoint_id
    left join answered on answered.message_sid = messages.message_sid
)

select * from final
