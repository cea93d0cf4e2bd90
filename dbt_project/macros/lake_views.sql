{#-
    On engines without dbt-duckdb's `external_location`, each bronze source is a view over its
    folder of the lake (Hive-partitioned Parquet, columns merged by name), created before the
    models run; the models' `source()` calls then read the same files DuckDB reads in place.
-#}
{% macro register_lake_views() -%}
    {{ return(adapter.dispatch('register_lake_views')()) }}
{%- endmacro %}

{% macro default__register_lake_views() -%}
    {#- DuckDB reads the files through each source's external_location. -#}
{%- endmacro %}

{% macro spark__register_lake_views() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'bronze' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- do run_query(
                'create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' as select * from parquet.`' ~ bronze_folder(source.identifier) ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    A contract's columns on Spark: the same names (the select that follows puts them in order). Its data types are written in
    DuckDB's names (varchar, hugeint, timestamp with time zone), which the DuckDB build enforces;
    the Spark build is held to the DuckDB one row for row (tests/orchestration/test_spark_build.py).
-#}
{% macro spark__get_assert_columns_equivalent(sql) -%}
    {%- set built = get_column_schema_from_query(sql) | map(attribute='name') | map('lower') | list -%}
    {%- set declared = model['columns'].values() | map(attribute='name') | map('lower') | list -%}
    {%- if built | sort != declared | sort -%}
        {{ exceptions.raise_compiler_error(
            "This model's columns do not match its contract.\n  declared: " ~ declared | join(', ')
            ~ "\n  built:    " ~ built | join(', ')
        ) }}
    {%- endif -%}
{%- endmacro %}
