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

{#- The value on the row with the largest / smallest ordering value among the rows whose value is
    not null (DuckDB's arg_max/arg_min skip null values; Spark's max_by/min_by would return the
    null, so their ordering is nulled on those rows, and rows with no ordering are skipped). -#}
{% macro value_at_max(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_max')(value, ordering)) }}
{%- endmacro %}
{% macro duckdb__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}
{% macro default__value_at_max(value, ordering) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}

{% macro value_at_min(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_min')(value, ordering)) }}
{%- endmacro %}
{% macro duckdb__value_at_min(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}
{% macro default__value_at_min(value, ordering) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
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

{#- One row per integer from `start` to `stop` (inclusive; none when stop < start), in a select list. -#}
{% macro integer_series(start, stop) -%}
    {{ return(adapter.dispatch('integer_series')(start, stop)) }}
{%- endmacro %}
{% macro duckdb__integer_series(start, stop) -%}
    unnest(range({{ start }}, {{ stop }} + 1))
{%- endmacro %}
{#- Spark's sequence counts down when stop < start; DuckDB's range is then empty, and so is this. -#}
{% macro default__integer_series(start, stop) -%}
    explode(filter(sequence({{ start }}, {{ stop }}), _n -> _n >= {{ start }} and _n <= {{ stop }}))
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
    cast(json_object({% for name, expression in pairs %}'{{ name }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}) as string)
{%- endmacro %}
{% macro default__json_object_text(pairs) -%}
    to_json(named_struct({% for name, expression in pairs %}'{{ name }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{#-
    How the incremental models materialize: incrementally on DuckDB (delete+insert); rebuilt whole
    elsewhere, since deleting rows needs a table format with deletes (Delta or Iceberg, with
    `merge`), and plain Parquet on Spark has none. A Spark build is therefore always a full one.
-#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization')()) }}
{%- endmacro %}
{% macro duckdb__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
{% macro default__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- A text column holding a JSON document, typed as JSON where the engine has the type (Spark keeps
    JSON as text and reads it with get_json_object). -#}
{% macro as_json(expression) -%}
    {{ return(adapter.dispatch('as_json')(expression)) }}
{%- endmacro %}
{% macro duckdb__as_json(expression) -%}
    cast({{ expression }} as json)
{%- endmacro %}
{% macro default__as_json(expression) -%}
    cast({{ expression }} as string)
{%- endmacro %}

{#-
    `from left` joined to the latest row of `right` at or before each left row's time, matching on
    `keys` (a left join: rows with none keep nulls). DuckDB has the ASOF join for it; elsewhere the
    candidates are ranked and the latest kept (`left_key` names one left row).
-#}
{% macro latest_before_join(left, right, keys, left_time, right_time, left_key) -%}
    {{ return(adapter.dispatch('latest_before_join')(left, right, keys, left_time, right_time, left_key)) }}
{%- endmacro %}
{% macro duckdb__latest_before_join(left, right, keys, left_time, right_time, left_key) -%}
    from {{ left }}
    asof left join {{ right }}
        on {% for key in keys %}{{ right }}.{{ key }} = {{ left }}.{{ key }} and {% endfor %}{{ left }}.{{ left_time }} >= {{ right }}.{{ right_time }}
{%- endmacro %}
{% macro default__latest_before_join(left, right, keys, left_time, right_time, left_key) -%}
    from {{ left }}
    left join {{ right }}
        on {% for key in keys %}{{ right }}.{{ key }} = {{ left }}.{{ key }} and {% endfor %}{{ left }}.{{ left_time }} >= {{ right }}.{{ right_time }}
    qualify row_number() over (partition by {{ left }}.{{ left_key }} order by {{ right }}.{{ right_time }} desc) = 1
{%- endmacro %}

{#- An instant `days` whole days later (the time of day kept). -#}
{% macro add_days(instant, days) -%}
    {{ return(adapter.dispatch('add_days')(instant, days)) }}
{%- endmacro %}
{% macro duckdb__add_days(instant, days) -%}
    ({{ instant }} + to_days({{ days }}))
{%- endmacro %}
{% macro default__add_days(instant, days) -%}
    timestampadd(DAY, {{ days }}, {{ instant }})
{%- endmacro %}

{#- A day and a time of day as the wall-clock timestamp they make (no zone). -#}
{% macro date_at_time(day, time_of_day) -%}
    {{ return(adapter.dispatch('date_at_time')(day, time_of_day)) }}
{%- endmacro %}
{% macro duckdb__date_at_time(day, time_of_day) -%}
    (({{ day }}) + {{ time_of_day }})
{%- endmacro %}
{% macro default__date_at_time(day, time_of_day) -%}
    make_timestamp({{ day }}, {{ time_of_day }})
{%- endmacro %}

{#- The `fraction` quantile of a column's non-null values, interpolated between the two nearest
    values (DuckDB's quantile_cont and Spark's percentile compute the same). -#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont')(expression, fraction)) }}
{%- endmacro %}
{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
{% macro default__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
