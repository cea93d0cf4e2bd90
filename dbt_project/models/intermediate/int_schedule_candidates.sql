{#-
    What each active enrollment should receive next, before timing rules: the next step of its
    journey (journey_states: rules and flow over the event history), and follow-up nudges for
    sent touchpoints still without a reply, inside the program's timeline (`starts_on` to
    `ends_on`). Local dates are in the worker's timezone; `activation_schedule` turns them into
    send times.
-#}
with

plan as (
    select * from {{ ref('int_enrollment_touchpoints') }}
    where enrollment_status = 'active'
        and program_status = 'active'
        and not is_holdout
),

workers as (
    select * from {{ ref('workers') }}
    where status in ('active', 'not_opted_in')
),

organizations as (
    select id as organization_id, quiet_hours_start, quiet_hours_end
    from {{ ref('stg_store__organizations') }}
),

-- A journey's first language is its default: the variant a worker gets when the content has
-- none in the worker's language.
journey_languages as (
    select programs.id as program_id, {{ json_first_text('journeys.languages') }} as journey_language
    from {{ ref('stg_store__programs') }} as programs
    inner join {{ ref('stg_store__journeys') }} as journeys on journeys.id = programs.journey_id
),

last_inbound as (
    select worker_id, max(received_at) as last_inbound_at
    from {{ ref('int_message_replies') }}
    where worker_id is not null
    group by worker_id
),

-- The next step of each journey, as the state machine in journey_states decided it.
next_touchpoints as (
    select
        plan.*,
        0 as attempt,
        false as is_follow_up,
        plan.content_id as send_content_id,
        states.next_local_date as local_date
    from plan
    inner join {{ ref('journey_states') }} as states
        on states.enrollment_id = plan.enrollment_id
        and states.next_touchpoint_id = plan.touchpoint_id
    inner join workers on workers.worker_id = plan.worker_id
    where not plan.is_sent
),

nudges as (
    select
        plan.*,
        plan.nudges_sent + 1 as attempt,
        true as is_follow_up,
        {{ json_text('plan.follow_up', 'content_id') }} as send_content_id,
        cast({{ utc_to_local('workers.timezone', 'plan.sent_at') }} as date)
            + plan.follow_up_after_days as local_date
    from plan
    inner join workers on workers.worker_id = plan.worker_id
    where plan.is_sent
        and not plan.is_replied
        and plan.follow_up is not null
        and plan.follow_up_after_days is not null
        and plan.nudges_sent < plan.follow_up_max_nudges
),

-- The two select the same columns in the same order.
candidates as (
    select * from next_touchpoints
    union all
    select * from nudges
),

final as (
    select
        candidates.organization_id,
        candidates.program_id,
        candidates.enrollment_id,
        candidates.worker_id,
        candidates.touchpoint_id,
        candidates.kind as touchpoint_kind,
        candidates.attempt,
        candidates.is_follow_up,
        candidates.send_content_id as content_id,
        candidates.program_variant_id,
        candidates.program_assignment_source,
        candidates.channel_override,
        candidates.local_date,
        candidates.local_send_time,
        workers.timezone,
        workers.language,
        journey_languages.journey_language,
        workers.phone_e164,
        workers.can_receive_whatsapp,
        organizations.quiet_hours_start,
        organizations.quiet_hours_end,
        last_inbound.last_inbound_at
    from candidates
    inner join workers on workers.worker_id = candidates.worker_id
    inner join organizations on organizations.organization_id = candidates.organization_id
    left join last_inbound on last_inbound.worker_id = candidates.worker_id
    left join journey_languages on journey_languages.program_id = candidates.program_id
    -- The program's timeline bounds every send: nothing before it starts or after it ends.
    where (candidates.program_starts_on is null or candidates.local_date >= candidates.program_starts_on)
        and (candidates.program_ends_on is null or candidates.local_date <= candidates.program_ends_on)
)

select * from final
