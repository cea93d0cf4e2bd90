with

segments as (
    select * from {{ ref('stg_store__segments') }}
    where not is_deleted
),

evaluations as (
    select
        segment_id,
        count(worker_id) as member_count,
        max(problem) as problem
    from {{ ref('int_segment_evaluations') }}
    group by segment_id
),

workers as (
    select organization_id, count(*) as organization_workers
    from {{ ref('worker_features') }}
    group by organization_id
),

final as (
    select
        segments.id as segment_id,
        segments.organization_id,
        segments.name,
        segments.kind,
        segments.is_active,
        cast(segments.rule as string) as rule,
        evaluations.problem is null and segments.is_active as is_evaluated,
        evaluations.problem,
        coalesce(evaluations.member_count, 0) as member_count,
        coalesce(evaluations.member_count, 0) / nullif(workers.organization_workers, 0) as member_share,
        {{ as_of_date() }} as as_of_date
    from segments
    left join evaluations on evaluations.segment_id = segments.id
    left join workers on workers.organization_id = segments.organization_id
)

select * from final
