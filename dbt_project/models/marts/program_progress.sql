{#- Each program against its objectives: how many of its (non-holdout) enrollments completed the
    journey, how often its delivered messages got a reply within 24 hours, and whether each target
    set in `programs.objectives` is met. -#}
with

programs as (
    select
        id as program_id,
        organization_id,
        name,
        status,
        starts_on,
        ends_on,
        cast({{ json_text('objectives', 'completion_share') }} as double) as target_completion_share,
        cast({{ json_text('objectives', 'reply_rate') }} as double) as target_reply_rate
    from {{ ref('stg_store__programs') }}
    where not is_deleted
),

enrollments as (
    select
        program_id,
        count(*) as enrollments,
        count(*) filter (where enrollment_status = 'active') as active_enrollments,
        count(*) filter (where state = 'completed') as completed_enrollments,
        count(*) filter (where state = 'dropped') as dropped_enrollments
    from {{ ref('worker_progress') }}
    where not is_holdout
    group by program_id
),

messages as (
    select
        program_id,
        count(*) filter (where is_delivered) as messages_delivered,
        count(*) filter (where is_delivered and replied_within_24h) as replies_within_24h
    from {{ ref('messages') }}
    where program_id is not null
    group by program_id
),

measured as (
    select
        programs.*,
        coalesce(enrollments.enrollments, 0) as enrollments,
        coalesce(enrollments.active_enrollments, 0) as active_enrollments,
        coalesce(enrollments.completed_enrollments, 0) as completed_enrollments,
        coalesce(enrollments.dropped_enrollments, 0) as dropped_enrollments,
        enrollments.completed_enrollments / nullif(enrollments.enrollments, 0) as completion_share,
        messages.replies_within_24h / nullif(messages.messages_delivered, 0) as reply_rate
    from programs
    left join enrollments on enrollments.program_id = programs.program_id
    left join messages on messages.program_id = programs.program_id
),

final as (
    select
        program_id,
        organization_id,
        name,
        status,
        starts_on,
        ends_on,
        enrollments,
        active_enrollments,
        completed_enrollments,
        dropped_enrollments,
        completion_share,
        reply_rate,
        target_completion_share,
        target_reply_rate,
        case when target_completion_share is not null then completion_share >= target_completion_share end
            as completion_target_met,
        case when target_reply_rate is not null then reply_rate >= target_reply_rate end
            as reply_rate_target_met,
        {{ as_of_date() }} as as_of_date
    from measured
)

select * from final
