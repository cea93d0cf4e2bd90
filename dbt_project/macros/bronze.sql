{#-
    Bronze tables are Parquet in the lake, read in place. Operational tables are change logs
    (every version of a row); `current_versions` keeps the newest version of each id.
-#}
{% macro bronze_path(table) -%}
    {{ bronze_folder(table) }}/**/*.parquet
{%- endmacro %}

{% macro bronze_folder(table) -%}
    {{ var('lake_dir') }}/bronze/{{ table }}
{%- endmacro %}

{% macro current_versions(relation) -%}
    {{ return(adapter.dispatch('current_versions')(relation)) }}
{%- endmacro %}
{% macro default__current_versions(relation) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by id order by updated_at desc, ingested_on desc) = 1
{%- endmacro %}
{#- Engines without `qualify`: the rank is a column more, which staging models do not select. -#}
{% macro spark__current_versions(relation) -%}
    select *
    from (
        select *, row_number() over (partition by id order by updated_at desc, ingested_on desc) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}

{#- The audit columns every operational table carries, with the soft-delete flag. -#}
{% macro audit_columns() -%}
        created_at,
        updated_at,
        created_by,
        updated_by,
        deleted_at,
        deleted_at is not null as is_deleted
{%- endmacro %}
