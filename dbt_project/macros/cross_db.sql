{#-
    SQL that differs between engines, one macro per construct, dispatched by adapter
    (`adapter.dispatch`): the DuckDB form the warehouse runs today, and the Spark form for when the
    same project runs on Apache Spark (dbt-spark). Models call these instead of writing an engine's
    functions inline; `tests/dbt_project/test_layout.py` keeps DuckDB-only functions out of the
    models. dbt's own cross-database macros (`dbt.dateadd`, `dbt.date_trunc`) are used where their
    DuckDB form is the same SQL.
-#}

{#- A JSON document's top-level field as text. -#}
{% macro json_text(column, field) -%}
    {{ return(adapter.dispatch('json_text')(column, field)) }}
{%- endmacro %}
{% macro duckdb__json_text(column, field) -%}
    json_extract_string({{ column }}, '$.{{ field }}')
{%- endmacro %}
{% macro default__json_text(column, field) -%}
    get_json_object({{ column }}, '$.{{ field }}')
{%- endmacro %}

{#- The first element of a JSON array as text (a journey's default language). -#}
{% macro json_first_text(column) -%}
    {{ return(adapter.dispatch('json_first_text')(column)) }}
{%- endmacro %}
{% macro duckdb__json_first_text(column) -%}
    json_extract_string({{ column }}, '$[0]')
{%- endmacro %}
{% macro default__json_first_text(column) -%}
    get_json_object({{ column }}, '$[0]')
{%- endmacro %}

{#- A cast that gives null instead of failing on a value that does not convert. -#}
{% macro try_cast_as(expression, type) -%}
    {{ return(adapter.dispatch('try_cast_as')(expression, type)) }}
{%- endmacro %}
{% macro default__try_cast_as(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- A UTC instant as the wall-clock time of `zone` (a timestamp without zone). -#}
{% macro utc_to_local(zone, instant) -%}
    {{ return(adapter.dispatch('utc_to_local')(zone, instant)) }}
{%- endmacro %}
{% macro duckdb__utc_to_local(zone, instant) -%}
    timezone({{ zone }}, {{ instant }})
{%- endmacro %}
{% macro default__utc_to_local(zone, instant) -%}
    from_utc_timestamp({{ instant }}, {{ zone }})
{%- endmacro %}

{#- A wall-clock time in `zone` as the UTC instant it names (DST-aware). -#}
{% macro local_to_utc(zone, local_time) -%}
    {{ return(adapter.dispatch('local_to_utc')(zone, local_time)) }}
{%- endmacro %}
{% macro duckdb__local_to_utc(zone, local_time) -%}
    timezone({{ zone }}, {{ local_time }})
{%- endmacro %}
{% macro default__local_to_utc(zone, local_time) -%}
    to_utc_timestamp({{ local_time }}, {{ zone }})
{%- endmacro %}

{#- The value on the row with the largest / smallest ordering value. -#}
{% macro value_at_max(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_max')(value, ordering)) }}
{%- endmacro %}
{% macro duckdb__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}
{% macro default__value_at_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro value_at_min(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_min')(value, ordering)) }}
{%- endmacro %}
{% macro duckdb__value_at_min(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}
{% macro default__value_at_min(value, ordering) -%}
    min_by({{ value }}, {{ ordering }})
{%- endmacro %}

{#- Whole `part`s (day, second) from `start` to `stop`, as DuckDB's date_diff counts them. -#}
{% macro diff(part, start, stop) -%}
    {{ return(adapter.dispatch('diff')(part, start, stop)) }}
{%- endmacro %}
{% macro duckdb__diff(part, start, stop) -%}
    date_diff('{{ part }}', {{ start }}, {{ stop }})
{%- endmacro %}
{% macro default__diff(part, start, stop) -%}
    {%- if part == 'day' -%} datediff({{ stop }}, {{ start }})
    {%- elif part == 'week' -%} floor(datediff({{ stop }}, {{ start }}) / 7)
    {%- else -%} ({{ dbt.datediff(start, stop, part) }})
    {%- endif -%}
{%- endmacro %}

{#- One row per integer from `start` to `stop` (inclusive), in a select list. -#}
{% macro integer_series(start, stop) -%}
    {{ return(adapter.dispatch('integer_series')(start, stop)) }}
{%- endmacro %}
{% macro duckdb__integer_series(start, stop) -%}
    unnest(range({{ start }}, {{ stop }} + 1))
{%- endmacro %}
{% macro default__integer_series(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }}))
{%- endmacro %}

{#- Day of the week of a timestamp, 0 = Sunday ... 6 = Saturday. -#}
{% macro day_of_week(moment) -%}
    {{ return(adapter.dispatch('day_of_week')(moment)) }}
{%- endmacro %}
{% macro duckdb__day_of_week(moment) -%}
    dayofweek({{ moment }})
{%- endmacro %}
{% macro default__day_of_week(moment) -%}
    (dayofweek({{ moment }}) - 1)
{%- endmacro %}

{#- A date as 'YYYY-MM-DD' text. -#}
{% macro iso_date_text(moment) -%}
    {{ return(adapter.dispatch('iso_date_text')(moment)) }}
{%- endmacro %}
{% macro duckdb__iso_date_text(moment) -%}
    strftime({{ moment }}, '%Y-%m-%d')
{%- endmacro %}
{% macro default__iso_date_text(moment) -%}
    date_format({{ moment }}, 'yyyy-MM-dd')
{%- endmacro %}

{#- A JSON object as text from (name, expression) pairs: `json_object_text([('a', 'x.a')])`. -#}
{% macro json_object_text(pairs) -%}
    {{ return(adapter.dispatch('json_object_text')(pairs)) }}
{%- endmacro %}
{% macro duckdb__json_object_text(pairs) -%}
    cast(json_object({% for name, expression in pairs %}'{{ name }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}) as varchar)
{%- endmacro %}
{% macro default__json_object_text(pairs) -%}
    to_json(named_struct({% for name, expression in pairs %}'{{ name }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}
