{#-
    Where each enrollment stands in its journey and where it goes next: a state machine over the
    journey's touchpoints, read from the event history rather than from a fixed day offset.

    - The state is the last touchpoint sent to the enrollment (follow-up nudges aside).
    - The touchpoint's rules are read in order against what happened since (the first reply's
      keyword, the quiz answer, the check-in score, no reply by `after_days`, the worker's segment
      membership now); the first that matches sends the worker to its target `after_days` after the
      send, or ends the journey.
    - When none matches, the worker moves on along the flow: to the touchpoint's `next`, else the
      next main-flow touchpoint, on its (cadence-scaled) day after enrollment, and never before
      the day of the last send (the day after, when leaving a branch).
    - An enrollment with nothing sent yet starts at the first main-flow touchpoint.
    The rules' meaning is coaching.journey_rules'; `activation_schedule` sends the next step.
-#}
with

enrollments_in as (
    select * from {{ ref('int_enrollment_settings') }}
),

steps as (
    select * from {{ ref('int_journey_steps') }}
),

rules as (
    select * from {{ ref('int_journey_rules') }}
),

workers as (
    select worker_id, timezone from {{ ref('workers') }}
),

enrollments as (
    select
        enrollments_in.enrollment_id,
        enrollments_in.organization_id,
        enrollments_in.program_id,
        enrollments_in.journey_id,
        enrollments_in.worker_id,
        enrollments_in.enrollment_status,
        enrollments_in.is_holdout,
        enrollments_in.cadence_factor,
        cast({{ utc_to_local('workers.timezone', 'enrollments_in.enrolled_at') }} as date) as enrolled_on,
        -- The worker's local day at the last moment the marts describe.
        cast({{ utc_to_local('workers.timezone', dbt.dateadd('second', -1, as_of_timestamp())) }} as date) as local_today
    from enrollments_in
    inner join workers on workers.worker_id = enrollments_in.worker_id
),

-- The last touchpoint sent to each enrollment, with what the worker answered to it by the as-of time.
current_step as (
    select
        messages.enrollment_id,
        messages.touchpoint_id,
        messages.sent_at,
        case when messages.first_reply_at <= {{ as_of_timestamp() }} then messages.first_reply_body end as reply_body,
        case when messages.first_reply_at <= {{ as_of_timestamp() }} then messages.first_reply_at end as replied_at,
        case when messages.first_reply_at <= {{ as_of_timestamp() }} then messages.quiz_answer_correct end as quiz_answer_correct,
        case when messages.first_reply_at <= {{ as_of_timestamp() }} then messages.check_in_score end as check_in_score
    from {{ ref('messages') }} as messages
    where messages.enrollment_id is not null
        and not messages.is_follow_up
        and messages.sent_at <= {{ as_of_timestamp() }}
    qualify row_number() over (
        partition by messages.enrollment_id order by messages.sent_at desc, messages.message_sid desc
    ) = 1
),

located as (
    select
        enrollments.*,
        current_step.touchpoint_id as current_touchpoint_id,
        steps.position as current_position,
        steps.is_branch as current_is_branch,
        steps.flow_next_position,
        current_step.sent_at as current_sent_at,
        cast({{ utc_to_local('workers.timezone', 'current_step.sent_at') }} as date) as current_sent_on,
        current_step.reply_body,
        current_step.replied_at,
        current_step.quiz_answer_correct,
        current_step.check_in_score
    from enrollments
    inner join workers on workers.worker_id = enrollments.worker_id
    left join current_step on current_step.enrollment_id = enrollments.enrollment_id
    left join steps on steps.touchpoint_id = current_step.touchpoint_id
),

members as (
    select segment_id, worker_id from {{ ref('int_segment_evaluations') }}
    where worker_id is not null
),

-- Segments that evaluated: a segment rule never fires on a segment that failed to evaluate.
evaluated_segments as (
    select segment_id from {{ ref('int_segment_evaluations') }}
    group by segment_id
    having count(*) filter (where problem is not null) = 0
),

matched as (
    select
        located.enrollment_id,
        rules.rule_index,
        rules.rule_kind,
        rules.goto_position,
        located.current_sent_on + rules.after_days as rule_local_date
    from located
    inner join rules on rules.touchpoint_id = located.current_touchpoint_id
    left join evaluated_segments on evaluated_segments.segment_id = rules.segment_id
    left join members
        on members.segment_id = rules.segment_id
        and members.worker_id = located.worker_id
    where case rules.rule_kind
        when 'reply_keyword' then upper(trim(located.reply_body)) = rules.keyword
        when 'quiz_answer' then located.quiz_answer_correct = rules.quiz_correct
        when 'check_in_below' then located.check_in_score < rules.below_score
        when 'no_reply' then located.replied_at is null
            and located.current_sent_on + rules.after_days <= located.local_today
        when 'segment' then evaluated_segments.segment_id is not null
            and (members.worker_id is not null) = rules.segment_member
        else false
    end
    qualify row_number() over (partition by located.enrollment_id order by rules.rule_index) = 1
),

first_steps as (
    select journey_id, position as first_position from steps where is_first
),

decided as (
    select
        located.*,
        matched.rule_index,
        matched.rule_kind,
        case
            when located.current_touchpoint_id is null then 'start'
            when matched.enrollment_id is not null and matched.goto_position is null then 'ended_by_rule'
            when matched.enrollment_id is not null then 'rule'
            when located.flow_next_position is null then 'finished'
            else 'flow'
        end as transition,
        case
            when located.current_touchpoint_id is null then first_steps.first_position
            when matched.enrollment_id is not null then matched.goto_position
            else located.flow_next_position
        end as next_position,
        matched.rule_local_date
    from located
    left join matched on matched.enrollment_id = located.enrollment_id
    left join first_steps on first_steps.journey_id = located.journey_id
),

-- The next step's touchpoint, and its main-flow day scaled by the program-level cadence variant.
placed as (
    select
        decided.*,
        steps.touchpoint_id as next_touchpoint_id,
        cast(round(steps.day_offset * decided.cadence_factor) as integer) as next_day_offset
    from decided
    left join steps
        on steps.journey_id = decided.journey_id
        and steps.position = decided.next_position
),

final as (
    select
        enrollment_id,
        organization_id,
        program_id,
        worker_id,
        enrollment_status,
        is_holdout,
        current_touchpoint_id,
        current_position,
        current_sent_at,
        rule_index,
        rule_kind,
        transition,
        transition in ('finished', 'ended_by_rule') as is_finished,
        next_touchpoint_id,
        next_position,
        case
            when transition = 'rule' then rule_local_date
            when transition = 'start' then enrolled_on + next_day_offset
            when transition = 'flow' then greatest(
                enrolled_on + next_day_offset,
                current_sent_on + case when current_is_branch then 1 else 0 end
            )
        end as next_local_date
    from placed
)

select * from final
