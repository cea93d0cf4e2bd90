{#-
    Every live enrollment with its program (journey, timeline) and what its program-level
    experiment variant changes in the implementation: cadence, send time, channel and follow-up
    strategy. One row per enrollment.
-#}
with

enrollments as (
    select * from {{ ref('stg_store__enrollments') }}
    where not is_deleted
),

programs as (
    select
        id as program_id,
        journey_id,
        status as program_status,
        starts_on as program_starts_on,
        ends_on as program_ends_on
    from {{ ref('stg_store__programs') }}
    where not is_deleted
),

-- Program-level experiments change the implementation: cadence (scaling day offsets), send time,
-- channel and follow-up strategy. A recorded assignment wins; an enrollment without one gets the
-- variant computed for it (int_experiment_pending_assignments), recorded when activation sends.
recorded_program_variants as (
    select
        assignments.enrollment_id,
        variants.id as program_variant_id,
        variants.settings,
        'recorded' as program_assignment_source
    from {{ ref('stg_store__experiment_assignments') }} as assignments
    inner join {{ ref('stg_store__experiment_variants') }} as variants on variants.id = assignments.variant_id
    inner join {{ ref('stg_store__experiments') }} as experiments on experiments.id = assignments.experiment_id
    where experiments.level = 'program' and experiments.status = 'running' and not assignments.is_deleted
),

computed_program_variants as (
    select
        pending.enrollment_id,
        pending.experiment_variant_id as program_variant_id,
        pending.settings,
        'computed' as program_assignment_source
    from {{ ref('int_experiment_pending_assignments') }} as pending
    where pending.level = 'program'
),

program_variants as (
    select
        enrollment_id,
        program_variant_id,
        program_assignment_source,
        coalesce({{ try_cast_as(json_text('settings', 'cadence_factor'), 'double') }}, 1.0) as cadence_factor,
        {{ try_cast_as(json_text('settings', 'send_time'), 'time') }} as send_time_override,
        {{ json_text('settings', 'channel') }} as channel_override,
        {{ try_cast_as(json_text('settings', 'follow_up.after_days'), 'integer') }} as follow_up_after_days,
        {{ try_cast_as(json_text('settings', 'follow_up.max_nudges'), 'integer') }} as follow_up_max_nudges
    from (
        select * from recorded_program_variants
        union all
        select * from computed_program_variants
    ) as both_sources
    qualify row_number() over (
        partition by enrollment_id order by program_assignment_source = 'recorded' desc, program_variant_id
    ) = 1
),

final as (
    select
        enrollments.id as enrollment_id,
        enrollments.organization_id,
        enrollments.program_id,
        programs.journey_id,
        programs.program_status,
        programs.program_starts_on,
        programs.program_ends_on,
        enrollments.worker_id,
        enrollments.enrolled_at,
        enrollments.status as enrollment_status,
        enrollments.is_holdout,
        program_variants.program_variant_id,
        coalesce(program_variants.program_assignment_source, 'none') as program_assignment_source,
        coalesce(program_variants.cadence_factor, 1.0) as cadence_factor,
        program_variants.send_time_override,
        program_variants.channel_override,
        program_variants.follow_up_after_days as follow_up_after_days_override,
        program_variants.follow_up_max_nudges as follow_up_max_nudges_override
    from enrollments
    inner join programs on programs.program_id = enrollments.program_id
    left join program_variants on program_variants.enrollment_id = enrollments.id
)

select * from final
