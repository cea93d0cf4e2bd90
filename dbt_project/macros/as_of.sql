{#-
    The day the marts describe. Defaults to today; pass `--vars '{as_of: 2026-11-01}'` to rebuild
    the marts as of another day (tests pin it so results do not depend on the clock).
-#}
{% macro as_of_date() -%}
    {%- if var('as_of', none) -%} cast('{{ var("as_of") }}' as date) {%- else -%} current_date {%- endif -%}
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
