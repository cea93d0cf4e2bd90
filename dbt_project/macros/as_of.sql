{#-
    The day the marts describe. Defaults to today; `--vars '{as_of: 2026-11-01}'` (unit tests, the
    Spark build) or the environment's COACH_DBT_AS_OF (the Dagster build) rebuilds the marts as of
    another day. The environment is read only when a node runs, never while parsing: a new day then
    leaves dbt's parse valid, where a new `--vars` would make it parse the whole project again.
-#}
{% macro as_of_date() -%}
    {%- set day = var('as_of', none) or (env_var('COACH_DBT_AS_OF', '') if execute else '') -%}
    {%- if day -%} cast('{{ day }}' as date) {%- else -%} current_date {%- endif -%}
{%- endmacro %}

{#- The end of the as-of day, as an instant (the start of the next UTC day). -#}
{% macro as_of_timestamp() -%}
    {{ return(adapter.dispatch('as_of_timestamp')()) }}
{%- endmacro %}
{% macro duckdb__as_of_timestamp() -%}
    cast({{ as_of_date() }} + interval 1 day as timestamptz)
{%- endmacro %}
{% macro default__as_of_timestamp() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp)
{%- endmacro %}
