{#- A holdout enrollment is the program's no-coaching control: the schedule never sends to it.
    Rows returned are failures. Shown in Dagster as a check of the schedule. -#}
{{ config(meta={'dagster': {'ref': {'name': 'activation_schedule'}}}) }}

select
    schedule.enrollment_id,
    schedule.touchpoint_id
from {{ ref('activation_schedule') }} as schedule
inner join {{ ref('worker_progress') }} as progress
    on progress.enrollment_id = schedule.enrollment_id
where progress.is_holdout
