{#-
    Every experiment's design as its readout needs it: how many days it has run by the as-of day
    (from `starts_at`, else its creation), how long it is planned to run, and the decision
    settings it is held to: its own over its organization's defaults (merged in
    coaching.stats.decision.Thresholds.from_layers, over the platform's).
-#}
with

experiments as (
    select * from {{ ref('stg_store__experiments') }}
    where not is_deleted
),

organizations as (
    select id as organization_id, experiment_defaults from {{ ref('stg_store__organizations') }}
),

final as (
    select
        experiments.id as experiment_id,
        experiments.organization_id,
        experiments.status as experiment_status,
        cast(coalesce(experiments.starts_at, experiments.created_at) as date) as started_on,
        greatest(
            {{ diff('day', 'cast(coalesce(experiments.starts_at, experiments.created_at) as date)', as_of_date()) }} + 1,
            0
        ) as days_run,
        experiments.planned_days,
        cast(experiments.decision_settings as string) as decision_settings,
        cast(organizations.experiment_defaults as string) as organization_defaults
    from experiments
    left join organizations on organizations.organization_id = experiments.organization_id
)

select * from final
