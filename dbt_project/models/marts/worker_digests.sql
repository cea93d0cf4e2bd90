{#-
    The weekly digest each active worker receives on Monday at 09:00 local time: last week's
    points, the current streak and the rank in the team. An organization turns digests on by
    publishing content with the key `weekly_digest`; its text names the figures as placeholders
    (`{{ '{{' }}week_points{{ '}}' }}`, `streak_days`, `team_rank`, `team_size`, `team_name`), which
    activation fills from `field_values` at send time, as it fills a worker's name.
    Activation reads this mart beside `activation_schedule` and sends it the same way.
-#}
with

digest_week as (
    select
        cast({{ dbt.date_trunc('week', as_of_date()) }} as date) as digest_monday,
        cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', as_of_date())) }} as date) as week_start
),

recipients as (
    select workers.*
    from {{ ref('workers') }} as workers
    where workers.status = 'active' and workers.active_enrollments > 0
),

week_points as (
    select leaderboards.worker_id, leaderboards.points
    from {{ ref('team_leaderboards') }} as leaderboards
    inner join digest_week on leaderboards.week_start = digest_week.week_start
),

ranked as (
    select
        workers.worker_id,
        coalesce(cast(week_points.points as bigint), 0) as week_points,
        rank() over (
            partition by workers.organization_id, workers.team
            order by coalesce(week_points.points, 0) desc
        ) as team_rank,
        count(*) over (partition by workers.organization_id, workers.team) as team_size
    from {{ ref('workers') }} as workers
    left join week_points on week_points.worker_id = workers.worker_id
    where workers.status != 'deleted'
),

contents as (
    select
        recipients.worker_id,
        variants.language as content_language,
        variants.body,
        variants.template_sid,
        cast(variants.template_variables as string) as template_variables
    from recipients
    inner join {{ ref('stg_store__content') }} as content
        on content.organization_id = recipients.organization_id
        and content.key = 'weekly_digest'
        and not content.is_deleted
    inner join {{ ref('stg_store__content_variants') }} as variants
        on variants.content_id = content.id
        and variants.variant_key = 'default'
        and not variants.is_deleted
    qualify row_number() over (
        partition by recipients.worker_id
        order by {{ language_preference('variants.language', 'recipients.language') }}
    ) = 1
),

timed as (
    select
        recipients.*,
        contents.content_language,
        contents.body,
        contents.template_sid,
        contents.template_variables,
        digest_week.week_start,
        {{ local_to_utc('recipients.timezone', "cast(digest_week.digest_monday as timestamp) + interval '9 hours'") }} as due_at
    from recipients
    inner join contents on contents.worker_id = recipients.worker_id
    cross join digest_week
),

final as (
    select
        md5(concat_ws('|', timed.organization_id, timed.worker_id, 'weekly_digest', cast(timed.week_start as string))) as idempotency_key,
        timed.organization_id,
        cast(null as string) as program_id,
        cast(null as string) as enrollment_id,
        timed.worker_id,
        cast(null as string) as touchpoint_id,
        false as is_follow_up,
        cast(null as string) as experiment_variant_id,
        'none' as assignment_source,
        cast(null as string) as program_variant_id,
        'whatsapp' as channel,
        case
            when timed.last_reply_at >= {{ dbt.dateadd('hour', -24, 'timed.due_at') }} then 'text'
            else 'template'
        end as message_type,
        timed.phone_e164 as to_number,
        timed.body,
        timed.template_sid,
        timed.template_variables,
        {{ json_object_text([
            ('week_points', 'cast(ranked.week_points as string)'),
            ('streak_days', 'cast(coalesce(engagement.current_streak_days, 0) as string)'),
            ('team_rank', 'cast(ranked.team_rank as string)'),
            ('team_size', 'cast(ranked.team_size as string)'),
            ('team_name', "coalesce(timed.team, 'your organization')"),
        ]) }} as field_values,
        timed.week_start,
        ranked.week_points,
        coalesce(engagement.current_streak_days, 0) as streak_days,
        timed.team,
        ranked.team_rank,
        ranked.team_size,
        timed.content_language,
        timed.due_at,
        {{ dbt.dateadd('day', 6, 'timed.due_at') }} as expires_at,
        timed.due_at <= {{ as_of_timestamp() }} as is_due
    from timed
    inner join ranked on ranked.worker_id = timed.worker_id
    left join {{ ref('worker_engagement') }} as engagement on engagement.worker_id = timed.worker_id
)

select * from final
