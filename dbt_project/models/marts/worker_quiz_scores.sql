{#-
    Each worker's quiz score and check-ins week by week (weeks of the first reply, Monday first):
    quizzes answered and answered right, the week's correct share and the running share up to that
    week, check-ins answered and their average score. Weeks without an answer have no row.
-#}
with

answers as (
    select
        organization_id,
        worker_id,
        cast({{ dbt.date_trunc('week', 'first_reply_at') }} as date) as week_start,
        touchpoint_kind,
        quiz_answer_correct,
        check_in_score
    from {{ ref('messages') }}
    where touchpoint_kind in ('quiz', 'check_in')
        and first_reply_body is not null
        and worker_id is not null
),

weekly as (
    select
        organization_id,
        worker_id,
        week_start,
        count(*) filter (where touchpoint_kind = 'quiz') as quizzes_answered,
        count(*) filter (where touchpoint_kind = 'quiz' and quiz_answer_correct) as quizzes_correct,
        count(check_in_score) filter (where touchpoint_kind = 'check_in' and check_in_score between 1 and 5) as check_ins,
        avg(check_in_score) filter (where touchpoint_kind = 'check_in' and check_in_score between 1 and 5) as average_check_in_score
    from answers
    group by 1, 2, 3
),

final as (
    select
        organization_id,
        worker_id,
        week_start,
        quizzes_answered,
        quizzes_correct,
        quizzes_correct * 1.0 / nullif(quizzes_answered, 0) as correct_share,
        sum(quizzes_correct) over running * 1.0 / nullif(sum(quizzes_answered) over running, 0)
            as running_correct_share,
        check_ins,
        average_check_in_score
    from weekly
    window running as (
        partition by worker_id order by week_start rows between unbounded preceding and current row
    )
)

select * from final
