{#-
    Content sent in another language than the worker's because the content has no variant in it:
    the schedule's rows by program, touchpoint and language wanted and sent, so a missing
    translation is counted and fixed, never a silent skip.
-#}
select
    organization_id,
    program_id,
    touchpoint_id,
    content_id,
    worker_language,
    content_language,
    count(*) as scheduled,
    count(*) filter (where is_due) as due
from {{ ref('activation_schedule') }}
where is_language_fallback
group by 1, 2, 3, 4, 5, 6
