{#-
    Variants for enrollments that have no recorded assignment yet in a running experiment of their
    program, of both tiers: program-level experiments (the program's own) and journey-level ones
    (named for the program, or, without a program, in every program whose journey has the tested
    touchpoint), within the experiment's target segment when it has one. The variant is the one
    whose cumulative weight range holds the worker's stable bucket (coaching.experiments.assignment)
    under the experiment's current weights, which adaptive experiments recompute every build.
    Variants are ordered control first, then by key. The schedule uses these; activation records
    them when it sends, so a worker never changes variant later.
-#}
with

enrollments as (
    select id as enrollment_id, organization_id, program_id, worker_id
    from {{ ref('stg_store__enrollments') }}
    where not is_deleted and status = 'active' and not is_holdout
),

running as (
    select id as experiment_id, level, program_id, touchpoint_id, salt, segment_id
    from {{ ref('stg_store__experiments') }}
    where not is_deleted and level in ('journey', 'program') and status = 'running'
),

programs as (
    select id as program_id, journey_id from {{ ref('stg_store__programs') }}
    where not is_deleted
),

touchpoints as (
    select id as touchpoint_id, journey_id from {{ ref('stg_store__touchpoints') }}
    where not is_deleted
),

-- Each experiment in each program it runs in.
experiments as (
    select running.*, running.program_id as in_program_id
    from running
    where running.program_id is not null
    union all
    select running.*, programs.program_id as in_program_id
    from running
    inner join touchpoints on touchpoints.touchpoint_id = running.touchpoint_id
    inner join programs on programs.journey_id = touchpoints.journey_id
    where running.level = 'journey' and running.program_id is null
),

-- An experiment that targets a segment only takes that segment's workers.
targeted as (
    select segment_id, worker_id from {{ ref('segment_membership') }}
),

recorded as (
    select experiment_id, worker_id from {{ ref('stg_store__experiment_assignments') }}
    where not is_deleted
),

edges as (
    select
        variants.experiment_id,
        variants.id as experiment_variant_id,
        variants.key as variant_key,
        coalesce(variants.content_variant_key, 'default') as content_variant_key,
        variants.settings,
        coalesce(allocations.current_weight, variants.weight) as weight,
        sum(coalesce(allocations.current_weight, variants.weight)) over ordered
            / sum(coalesce(allocations.current_weight, variants.weight)) over (partition by variants.experiment_id)
            as upper_edge
    from {{ ref('stg_store__experiment_variants') }} as variants
    left join {{ ref('experiment_allocations') }} as allocations on allocations.variant_id = variants.id
    where not variants.is_deleted
    window ordered as (
        partition by variants.experiment_id order by variants.is_control desc, variants.key
        rows between unbounded preceding and current row
    )
),

unassigned as (
    select
        enrollments.*,
        experiments.experiment_id,
        experiments.level,
        experiments.touchpoint_id,
        {{ assignment_bucket('experiments.salt', 'enrollments.worker_id') }} as bucket
    from enrollments
    inner join experiments on experiments.in_program_id = enrollments.program_id
    left join targeted
        on targeted.segment_id = experiments.segment_id
        and targeted.worker_id = enrollments.worker_id
    anti join recorded
        on recorded.experiment_id = experiments.experiment_id
        and recorded.worker_id = enrollments.worker_id
    where experiments.segment_id is null or targeted.worker_id is not null
),

final as (
    select
        unassigned.experiment_id,
        unassigned.level,
        unassigned.organization_id,
        unassigned.enrollment_id,
        unassigned.worker_id,
        unassigned.touchpoint_id,
        edges.experiment_variant_id,
        edges.variant_key,
        edges.content_variant_key,
        edges.settings,
        unassigned.bucket,
        edges.weight
    from unassigned
    inner join edges
        on edges.experiment_id = unassigned.experiment_id
        and unassigned.bucket < edges.upper_edge
    qualify row_number() over (
        partition by unassigned.enrollment_id, unassigned.experiment_id order by edges.upper_edge
    ) = 1
)

select * from final
