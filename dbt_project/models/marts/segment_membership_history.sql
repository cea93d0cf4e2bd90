{{
    config(
        materialized=incremental_materialization(),
        unique_key=['segment_id', 'worker_id', 'entered_on'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{#-
    When each worker entered and left each segment. Every build compares today's membership with
    the open periods: members not yet in get a new period, open periods of workers no longer in
    are closed on the build day; nothing else changes.
-#}
with

current_members as (
    select segment_id, organization_id, worker_id
    from {{ ref('segment_membership') }}
),

{% if is_incremental() %}
open_periods as (
    select * from {{ this }} where exited_on is null
),

exits as (
    select
        open_periods.segment_id,
        open_periods.organization_id,
        open_periods.worker_id,
        open_periods.entered_on,
        {{ as_of_date() }} as exited_on
    from open_periods
    anti join current_members using (segment_id, worker_id)
),

entries as (
    select
        current_members.segment_id,
        current_members.organization_id,
        current_members.worker_id,
        {{ as_of_date() }} as entered_on,
        cast(null as date) as exited_on
    from current_members
    anti join open_periods using (segment_id, worker_id)
),

final as (
    select * from exits
    union all
    select * from entries
)
{% else %}
final as (
    select
        segment_id,
        organization_id,
        worker_id,
        {{ as_of_date() }} as entered_on,
        cast(null as date) as exited_on
    from current_members
)
{% endif %}

select * from final
