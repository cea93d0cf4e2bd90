{#- How similar organizations do, pooled so that none can be picked out: for each type of worker
    and size band, the quartiles of the organizations' reply rate, completion and retention. A
    cell is published only when at least `benchmark_min_organizations` organizations (5 unless
    set) fall in it, and a metric only when that many have a value for it; no organization id is
    kept. -#}
{%- set minimum = var('benchmark_min_organizations') | int -%}
{%- set metrics = ['reply_rate', 'completion_share', 'retention_share'] -%}
with

cells as (
    select
        worker_type,
        size_band,
        count(*) as organizations,
        {%- for metric in metrics %}
        count({{ metric }}) as {{ metric }}_organizations,
        {{ percentile_cont(metric, 0.25) }} as {{ metric }}_p25,
        {{ percentile_cont(metric, 0.5) }} as {{ metric }}_median,
        {{ percentile_cont(metric, 0.75) }} as {{ metric }}_p75,
        {%- endfor %}
        max(as_of_date) as as_of_date
    from {{ ref('organization_metrics') }}
    group by worker_type, size_band
),

final as (
    select
        worker_type,
        size_band,
        organizations,
        {%- for metric in metrics %}
        {%- for statistic in ['p25', 'median', 'p75'] %}
        case when {{ metric }}_organizations >= {{ minimum }} then round({{ metric }}_{{ statistic }}, 4) end
            as {{ metric }}_{{ statistic }},
        {%- endfor %}
        {%- endfor %}
        as_of_date
    from cells
    where organizations >= {{ minimum }}
)

select * from final
