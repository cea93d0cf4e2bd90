{#-
    Every live touchpoint as a step of its journey's graph (coaching.journey_rules): where the
    flow goes after it when no rule matches, and whether it starts the journey. One row per
    touchpoint, so the state machine joins a small table rather than every enrollment's plan.
-#}
with

live_touchpoints as (
    select * from {{ ref('stg_store__touchpoints') }}
    where not is_deleted
),

touchpoints as (
    select
        touchpoints.id as touchpoint_id,
        touchpoints.journey_id,
        touchpoints.position,
        touchpoints.day_offset,
        touchpoints.local_send_time,
        touchpoints.kind,
        touchpoints.content_id,
        touchpoints.follow_up,
        touchpoints.branch as is_branch,
        -- Where the worker goes when no rule matches: the touchpoint's own `next`, else the next
        -- main-flow touchpoint after it (null: the journey ends here).
        coalesce(
            touchpoints.next_position,
            (
                select min(main.position)
                from live_touchpoints as main
                where main.journey_id = touchpoints.journey_id
                    and main.position > touchpoints.position
                    and not main.branch
            )
        ) as flow_next_position,
        phases.position as phase_position,
        phases.name as phase_name,
        not touchpoints.branch and touchpoints.position = min(touchpoints.position)
            filter (where not touchpoints.branch) over (partition by touchpoints.journey_id) as is_first
    from live_touchpoints as touchpoints
    inner join {{ ref('stg_store__journey_phases') }} as phases on phases.id = touchpoints.phase_id
)

select * from touchpoints
