{#-
    The enrollments each active program should have, as of the build day: the desired state the
    enrollment sync (activation) applies to the store by diff. One row per program and worker that
    is a member of the program's target segment or already enrolled in it:

    - members of the target segment (its assignment criteria) inside the program's timeline are
      enrolled, minus opted-out and deleted workers; the holdout share is assigned by a stable hash
      (the same one the simulator and the API use), and held-out workers are enrolled as holdouts;
    - active enrollments end: `expired` when the program is past `ends_on`, `completed` when the
      worker finished the journey, `opted_out` / `dropped` when the worker opted out or was deleted,
      and `dropped` when the worker left the segment and the program drops (`on_segment_exit`);
    - an enrollment that already ended stays as it is.

    A program whose target segment did not evaluate (missing, inactive, another organization's, or
    failed) keeps its enrollments unchanged: `program_problem` says why, and the sync reports it.
-#}
with

programs as (
    select
        id as program_id,
        organization_id,
        segment_id,
        starts_on,
        ends_on,
        holdout_share,
        on_segment_exit
    from {{ ref('stg_store__programs') }}
    where not is_deleted
        and status = 'active'
),

segments as (
    select segment_id, organization_id, is_evaluated, problem
    from {{ ref('segments') }}
),

scoped as (
    select
        programs.*,
        case
            when programs.segment_id is null then 'the program has no target segment'
            when segments.segment_id is null then 'the target segment does not exist'
            when segments.organization_id <> programs.organization_id
                then 'the target segment belongs to another organization'
            when not segments.is_evaluated
                then 'the target segment did not evaluate: ' || coalesce(segments.problem, 'it is not active')
        end as program_problem,
        programs.starts_on <= {{ as_of_date() }} as has_started,
        programs.ends_on is not null and programs.ends_on < {{ as_of_date() }} as has_ended
    from programs
    left join segments on segments.segment_id = programs.segment_id
),

members as (
    select segment_id, worker_id
    from {{ ref('segment_membership') }}
),

existing as (
    select id as enrollment_id, program_id, worker_id, status, is_holdout
    from {{ ref('stg_store__enrollments') }}
    where not is_deleted
),

candidates as (
    select scoped.program_id, members.worker_id
    from scoped
    inner join members on members.segment_id = scoped.segment_id
    where scoped.program_problem is null
    union
    select existing.program_id, existing.worker_id
    from existing
    inner join scoped on scoped.program_id = existing.program_id
),

joined as (
    select
        scoped.program_id,
        scoped.organization_id,
        candidates.worker_id,
        scoped.program_problem,
        scoped.has_started,
        scoped.has_ended,
        scoped.on_segment_exit,
        members.worker_id is not null as is_member,
        workers.status as worker_status,
        workers.organization_id as worker_organization_id,
        existing.enrollment_id,
        existing.status as current_status,
        existing.is_holdout as current_is_holdout,
        progress.state as progress_state,
        {{ assignment_bucket("'holdout:' || scoped.program_id", 'candidates.worker_id') }} < scoped.holdout_share as hashed_holdout
    from candidates
    inner join scoped on scoped.program_id = candidates.program_id
    left join members
        on members.segment_id = scoped.segment_id
        and members.worker_id = candidates.worker_id
    left join {{ ref('workers') }} as workers on workers.worker_id = candidates.worker_id
    left join existing
        on existing.program_id = candidates.program_id
        and existing.worker_id = candidates.worker_id
    left join {{ ref('worker_progress') }} as progress on progress.enrollment_id = existing.enrollment_id
),

-- Which rule decides each enrollment, tried in order; the status and the words follow from it.
ruled as (
    select
        *,
        case
            when current_status is not null and current_status <> 'active' then 'already_ended'
            when worker_status is null or worker_status = 'deleted' then 'worker_deleted'
            when worker_status = 'opted_out' then 'worker_opted_out'
            when current_status is null and not has_started then 'not_started'
            when current_status is null and has_ended then 'ended_before_enrolling'
            when has_ended and progress_state = 'completed' then 'ended_completed'
            when has_ended then 'ended'
            when progress_state = 'completed' then 'journey_completed'
            when program_problem is not null then 'segment_problem'
            when not is_member and on_segment_exit = 'drop' then 'left_dropped'
            when not is_member then 'left_kept'
            else 'member'
        end as rule
    from joined
),

decided as (
    select
        *,
        case rule
            when 'already_ended' then current_status
            when 'worker_deleted' then 'dropped'
            when 'worker_opted_out' then 'opted_out'
            when 'ended_completed' then 'completed'
            when 'ended' then 'expired'
            when 'journey_completed' then 'completed'
            when 'segment_problem' then current_status
            when 'left_dropped' then 'dropped'
            when 'left_kept' then 'active'
            when 'member' then 'active'
        end as desired_status,
        case rule
            when 'already_ended' then 'already ended'
            when 'worker_deleted' then 'the worker was deleted'
            when 'worker_opted_out' then 'the worker opted out'
            when 'not_started' then 'the program has not started'
            when 'ended_before_enrolling' then 'the program has ended'
            when 'ended_completed' then 'the program ended'
            when 'ended' then 'the program ended'
            when 'journey_completed' then 'the worker finished the journey'
            when 'segment_problem' then program_problem
            when 'left_dropped' then 'the worker left the segment'
            when 'left_kept' then 'the worker left the segment; the program keeps them'
            when 'member' then 'a member of the target segment'
        end as reason
    from ruled
),

final as (
    select
        program_id,
        organization_id,
        worker_id,
        enrollment_id,
        current_status,
        desired_status,
        coalesce(current_is_holdout, hashed_holdout) as is_holdout,
        is_member,
        -- Ends the segment decides (a worker leaving it) count against the sync's largest-change
        -- guard; ends the calendar or the worker decides do not.
        rule = 'left_dropped' as is_segment_driven,
        program_problem,
        reason,
        {{ as_of_date() }} as as_of_date
    from decided
    where desired_status is not null
)

select * from final
