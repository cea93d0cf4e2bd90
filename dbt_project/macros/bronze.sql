{#-
    Bronze tables are Parquet in the lake, read in place. Operational tables are change logs
    (every version of a row); `current_versions` keeps the newest version of each id.
-#}
{% macro bronze_path(table) -%}
    {{ env_var('COACH_LAKE_DIR') }}/bronze/{{ table }}/**/*.parquet
{%- endmacro %}

{% macro current_versions(relation) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by id order by updated_at desc, ingested_on desc) = 1
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
