with

assignments as (
    select * from {{ ref('stg_store__experiment_assignments') }}
    where not is_deleted
),

final as (
    select
        assignments.experiment_id,
        assignments.organization_id,
        experiments.level,
        experiments.status as experiment_status,
        experiments.touchpoint_id,
        experiments.program_id,
        assignments.variant_id,
        variants.key as variant_key,
        variants.is_control,
        variants.weight,
        assignments.worker_id,
        assignments.enrollment_id,
        assignments.assigned_at
    from assignments
    inner join {{ ref('stg_store__experiments') }} as experiments on experiments.id = assignments.experiment_id
    inner join {{ ref('stg_store__experiment_variants') }} as variants on variants.id = assignments.variant_id
)

select * from final
