{#-
    What is due for whom and when, decided here and executed by activation:
    - send time: the touchpoint's local time on its local date in the worker's timezone, moved to
      the end of the organization's quiet hours when it falls inside them (windows may wrap
      midnight, e.g. 21:00-07:00);
    - content: the worker's journey-level experiment variant of the touchpoint, in the worker's
      language (falling back to the journey's default language, then English, then any language
      the content has; a fallback is flagged and counted in `language_fallbacks`);
    - channel: WhatsApp free text inside 24 hours of the worker's last inbound message, an
      approved template outside it, SMS when the worker has no WhatsApp or the worker's
      program-level variant sends by SMS;
    - a deterministic idempotency key per organization, enrollment, touchpoint, attempt and local
      date, so planning twice never sends twice.
    Opted-out and deleted workers, holdouts and inactive enrollments never appear.
-#}
with

candidates as (
    select * from {{ ref('int_schedule_candidates') }}
),

-- Recorded assignments first; an enrollment that has none yet gets the variant computed for it
-- in int_experiment_pending_assignments (its stable bucket under the current weights).
recorded as (
    select
        assignments.worker_id,
        experiments.touchpoint_id,
        variants.id as experiment_variant_id,
        coalesce(variants.content_variant_key, 'default') as content_variant_key,
        'recorded' as assignment_source
    from {{ ref('stg_store__experiment_assignments') }} as assignments
    inner join {{ ref('stg_store__experiments') }} as experiments on experiments.id = assignments.experiment_id
    inner join {{ ref('stg_store__experiment_variants') }} as variants on variants.id = assignments.variant_id
    where experiments.level = 'journey' and experiments.status = 'running'
),

computed as (
    select
        pending.worker_id,
        pending.touchpoint_id,
        pending.experiment_variant_id,
        pending.content_variant_key,
        'computed' as assignment_source
    from {{ ref('int_experiment_pending_assignments') }} as pending
    where pending.level = 'journey'
),

journey_variants as (
    select * from recorded
    union all
    select * from computed
),

timed as (
    select
        candidates.*,
        case
            when quiet_hours_start is null or quiet_hours_end is null then false
            when quiet_hours_start < quiet_hours_end
                then local_send_time >= quiet_hours_start and local_send_time < quiet_hours_end
            else local_send_time >= quiet_hours_start or local_send_time < quiet_hours_end
        end as in_quiet_hours
    from candidates
),

moved as (
    select
        *,
        case
            when not in_quiet_hours then {{ date_at_time('local_date', 'local_send_time') }}
            -- Quiet window before midnight (or not wrapping): send when it ends, that same night
            -- rolling into the next morning if it wraps.
            when quiet_hours_start > quiet_hours_end and local_send_time >= quiet_hours_start
                then {{ date_at_time('local_date + 1', 'quiet_hours_end') }}
            else {{ date_at_time('local_date', 'quiet_hours_end') }}
        end as local_send_at
    from timed
),

with_variant as (
    select
        moved.*,
        journey_variants.experiment_variant_id,
        coalesce(journey_variants.assignment_source, 'none') as assignment_source,
        coalesce(
            case when moved.is_follow_up then 'default' end,
            journey_variants.content_variant_key,
            'default'
        ) as content_variant_key,
        {{ local_to_utc('moved.timezone', 'moved.local_send_at') }} as due_at
    from moved
    left join journey_variants
        on journey_variants.worker_id = moved.worker_id
        and journey_variants.touchpoint_id = moved.touchpoint_id
        and not moved.is_follow_up
),

contents as (
    select
        with_variant.enrollment_id,
        with_variant.touchpoint_id,
        with_variant.attempt,
        variants.language as content_language,
        variants.body,
        variants.template_sid,
        cast(variants.template_variables as string) as template_variables
    from with_variant
    inner join {{ ref('stg_store__content_variants') }} as variants
        on variants.content_id = with_variant.content_id
        and variants.variant_key = with_variant.content_variant_key
        and not variants.is_deleted
    qualify row_number() over (
        partition by with_variant.enrollment_id, with_variant.touchpoint_id, with_variant.attempt
        order by {{ language_preference('variants.language', 'with_variant.language', 'with_variant.journey_language') }}
    ) = 1
),

final as (
    select
        md5(concat_ws('|', with_variant.organization_id, with_variant.enrollment_id,
            with_variant.touchpoint_id, with_variant.attempt, with_variant.local_date)) as idempotency_key,
        with_variant.organization_id,
        with_variant.program_id,
        with_variant.enrollment_id,
        with_variant.worker_id,
        with_variant.touchpoint_id,
        with_variant.touchpoint_kind,
        with_variant.attempt,
        with_variant.is_follow_up,
        with_variant.experiment_variant_id,
        with_variant.assignment_source,
        with_variant.program_variant_id,
        with_variant.program_assignment_source,
        with_variant.content_id,
        with_variant.content_variant_key,
        contents.content_language,
        with_variant.language as worker_language,
        contents.content_language is distinct from with_variant.language as is_language_fallback,
        case
            when with_variant.can_receive_whatsapp and with_variant.channel_override is distinct from 'sms'
                then 'whatsapp'
            else 'sms'
        end as channel,
        case
            when not with_variant.can_receive_whatsapp or with_variant.channel_override = 'sms' then 'text'
            when with_variant.last_inbound_at >= {{ dbt.dateadd('hour', -24, 'with_variant.due_at') }} then 'text'
            else 'template'
        end as message_type,
        with_variant.phone_e164 as to_number,
        contents.body,
        contents.template_sid,
        contents.template_variables,
        with_variant.local_date,
        with_variant.local_send_time,
        with_variant.timezone,
        with_variant.in_quiet_hours as moved_out_of_quiet_hours,
        with_variant.due_at,
        {{ dbt.dateadd('hour', 12, 'with_variant.due_at') }} as expires_at,
        with_variant.due_at <= {{ as_of_timestamp() }} as is_due
    from with_variant
    left join contents
        on contents.enrollment_id = with_variant.enrollment_id
        and contents.touchpoint_id = with_variant.touchpoint_id
        and contents.attempt = with_variant.attempt
)

select * from final
