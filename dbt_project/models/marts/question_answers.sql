{#-
    Quizzes and check-ins for analysts, per question: how the first replies to each quiz or
    check-in touchpoint (main sends and nudges) spread over its options, tapped or typed, and the
    share answered correctly. One row per program, touchpoint and option, including options nobody
    chose; replies that matched no option are one row with a null `answer_payload`.
-#}
with

answers as (
    select
        organization_id,
        program_id,
        touchpoint_id,
        answer_payload,
        count(*) as answers,
        count(*) filter (where answer_source = 'tap') as tapped,
        count(*) filter (where answer_source = 'text') as typed
    from {{ ref('messages') }}
    where touchpoint_kind in ('quiz', 'check_in')
        and first_reply_body is not null
        and program_id is not null
    group by 1, 2, 3, 4
),

questions as (
    select distinct
        answers.organization_id,
        answers.program_id,
        answers.touchpoint_id,
        touchpoints.name as touchpoint_name,
        touchpoints.kind as touchpoint_kind,
        touchpoints.content_id
    from answers
    inner join {{ ref('stg_store__touchpoints') }} as touchpoints
        on touchpoints.id = answers.touchpoint_id
),

-- Every option of each question, chosen or not, and the replies no option matched.
cells as (
    select
        questions.*,
        options.payload as answer_payload,
        options.position as option_position,
        options.option_text,
        options.is_correct,
        options.score
    from questions
    inner join {{ ref('int_content_options') }} as options
        on options.content_id = questions.content_id
    union all
    select
        questions.*,
        cast(null as string) as answer_payload,
        cast(null as integer) as option_position,
        cast(null as string) as option_text,
        cast(null as boolean) as is_correct,
        cast(null as integer) as score
    from questions
),

counted as (
    select
        cells.organization_id,
        cells.program_id,
        cells.touchpoint_id,
        cells.touchpoint_name,
        cells.touchpoint_kind,
        cells.answer_payload,
        cells.option_position,
        cells.option_text,
        cells.is_correct,
        cells.score,
        coalesce(answers.answers, 0) as answers,
        coalesce(answers.tapped, 0) as tapped,
        coalesce(answers.typed, 0) as typed
    from cells
    left join answers
        on answers.program_id = cells.program_id
        and answers.touchpoint_id = cells.touchpoint_id
        and answers.answer_payload is not distinct from cells.answer_payload
    -- an unmatched row only where some reply matched nothing
    where cells.answer_payload is not null or answers.answers is not null
),

final as (
    select
        *,
        cast(sum(answers) over (partition by program_id, touchpoint_id) as bigint) as question_answers,
        answers * 1.0 / nullif(sum(answers) over (partition by program_id, touchpoint_id), 0)
            as answer_share,
        case when touchpoint_kind = 'quiz' then
            sum(case when is_correct then answers else 0 end) over (partition by program_id, touchpoint_id)
                * 1.0 / nullif(sum(answers) over (partition by program_id, touchpoint_id), 0)
        end as correct_share
    from counted
)

select * from final
