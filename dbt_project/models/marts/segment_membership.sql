with

evaluations as (
    select * from {{ ref('int_segment_evaluations') }}
),

final as (
    select
        segment_id,
        organization_id,
        worker_id,
        {{ as_of_date() }} as as_of_date
    from evaluations
    where worker_id is not null
)

select * from final
