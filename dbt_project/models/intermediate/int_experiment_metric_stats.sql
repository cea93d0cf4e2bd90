{#-
    Sufficient statistics per experiment x variant x metric x dimension, what the engine needs and
    nothing more. Binary metrics: n trials and successes. Count metrics: n units, sum and sum of
    squares, with a pre-exposure covariate (the same metric in the 14 days before assignment)
    for CUPED. Dimensions: everyone ('all'), each region and language, and each week of
    assignment (the periods adaptive allocation reweights between).
-#}
with

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

workers as (
    select worker_id, region, language, whatsapp_opt_out_at from {{ ref('workers') }}
),

messages as (
    select * from {{ ref('messages') }}
    where not is_follow_up
),

exposed as (
    select
        assignments.*,
        workers.region,
        workers.language,
        workers.whatsapp_opt_out_at
    from assignments
    inner join workers on workers.worker_id = assignments.worker_id
),

-- The messages that count for an experiment: for a journey-level experiment the tested
-- touchpoint's messages; for a program-level one every message of the program after assignment.
experiment_messages as (
    select
        exposed.experiment_id,
        exposed.variant_id,
        exposed.worker_id,
        messages.is_delivered,
        messages.replied_within_24h,
        messages.final_status in ('failed', 'undelivered') as failed
    from exposed
    inner join messages
        on messages.worker_id = exposed.worker_id
        and messages.sent_at >= exposed.assigned_at
        and (
            (exposed.level = 'journey' and messages.touchpoint_id = exposed.touchpoint_id)
            or (exposed.level = 'program' and messages.program_id = exposed.program_id)
        )
),

per_worker as (
    select
        exposed.experiment_id,
        exposed.organization_id,
        exposed.experiment_status,
        exposed.variant_id,
        exposed.variant_key,
        exposed.is_control,
        exposed.weight,
        exposed.worker_id,
        exposed.region,
        exposed.language,
        {{ iso_date_text(dbt.date_trunc('week', 'exposed.assigned_at')) }} as assignment_week,
        coalesce(exposed.whatsapp_opt_out_at >= exposed.assigned_at, false) as opted_out,
        count(experiment_messages.worker_id) filter (where experiment_messages.is_delivered) as delivered,
        count(experiment_messages.worker_id) filter (where experiment_messages.replied_within_24h) as replies,
        count(experiment_messages.worker_id) as sent,
        count(experiment_messages.worker_id) filter (where experiment_messages.failed) as failed,
        (
            select count(*) from {{ ref('messages') }} as before
            where before.worker_id = exposed.worker_id
                and before.replied_within_24h
                and before.sent_at < exposed.assigned_at
                and before.sent_at >= {{ dbt.dateadd('day', -14, 'exposed.assigned_at') }}
        ) as replies_before
    from exposed
    left join experiment_messages
        on experiment_messages.experiment_id = exposed.experiment_id
        and experiment_messages.worker_id = exposed.worker_id
    group by all
),

dimensioned as (
    select *, 'all' as dimension, 'all' as dimension_value from per_worker
    union all
    select *, 'region', coalesce(region, 'unknown') from per_worker
    union all
    select *, 'language', coalesce(language, 'unknown') from per_worker
    union all
    -- Allocation periods: adaptive experiments change weights between them (see the readout).
    select *, 'assignment_week', assignment_week from per_worker
),

final as (
    {% set metrics = [
        ('reply_rate_24h', 'binary', 'delivered', 'replies'),
        ('delivery_failure_rate', 'binary', 'sent', 'failed'),
        ('opt_out_rate', 'binary', '1', 'cast(opted_out as integer)'),
    ] %}
    {% for name, kind, trials, successes in metrics %}
    select
        experiment_id, organization_id, experiment_status, variant_id, variant_key, is_control, weight,
        '{{ name }}' as metric,
        '{{ kind }}' as metric_type,
        dimension, dimension_value,
        count(*) as units,
        sum({{ trials }}) as n,
        sum({{ successes }}) as successes,
        cast(null as double) as sum_y,
        cast(null as double) as sum_y2,
        cast(null as double) as sum_x,
        cast(null as double) as sum_x2,
        cast(null as double) as sum_xy
    from dimensioned
    group by all
    union all
    {% endfor %}
    select
        experiment_id, organization_id, experiment_status, variant_id, variant_key, is_control, weight,
        'replies_per_worker' as metric,
        'mean' as metric_type,
        dimension, dimension_value,
        count(*) as units,
        count(*) as n,
        null as successes,
        sum(replies) as sum_y,
        sum(replies * replies) as sum_y2,
        sum(replies_before) as sum_x,
        sum(replies_before * replies_before) as sum_x2,
        sum(replies * replies_before) as sum_xy
    from dimensioned
    group by all
)

select * from final
