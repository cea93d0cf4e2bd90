{#-
    Message events from bronze, each once: duplicate deliveries collapse by event_key (ingestion
    collapses them within a day; a webhook retry that crossed midnight can sit in two days).

    Only the keys that repeat are ranked: the rest pass through, so the events are not sorted
    whole with every column (40M events: the ranking over all of them was most of a first
    build's two longest nodes). The same rows as ranking every event, faster by half at 8M.

    `where` narrows the events before they collapse, so an incremental model reads only what it
    recomputes. Filter on message_sid (an event_key names its message, so every copy of an event
    stays together) and the result is exactly the full read's rows of those messages.
-#}
{% macro message_events(where=none) -%}
    {%- set bronze = source('bronze', 'message_events') -%}
    {%- set narrowed = '(' ~ where ~ ') and ' if where else '' -%}
    {%- set columns -%}
        event_key,
        kind,
        message_sid,
        status,
        error_code,
        channel,
        from_number,
        to_number,
        organization_id,
        worker_id,
        enrollment_id,
        touchpoint_id,
        experiment_variant_id,
        is_follow_up,
        body,
        button_payload,
        media_count,
        occurred_at,
        _source_file as source_file,
        _ingested_at as ingested_at
    {%- endset -%}
    with repeated_keys as (
        select event_key
        from {{ bronze }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
        group by event_key
        having count(*) > 1
    )

    select {{ columns }}
    from {{ bronze }} as event
    where {{ narrowed }}not exists (
        select 1 from repeated_keys where repeated_keys.event_key = event.event_key
    )

    union all

    select * from (
        select {{ columns }}
        from {{ bronze }} as event
        where {{ narrowed }}exists (
            select 1 from repeated_keys where repeated_keys.event_key = event.event_key
        )
        qualify row_number() over (partition by event_key order by occurred_at, _source_file) = 1
    ) as collapsed
{%- endmacro %}

{#-
    The newest `column` an incremental model holds: what it has already taken in. Compared with
    `>=`, so rows written in the same instant as the last ones it saw are read again (recomputing
    a row is harmless; missing one is not). Before anything was built: the beginning of time.
-#}
{% macro watermark(column) -%}
    coalesce((select max({{ column }}) from {{ this }}), cast('1900-01-01' as timestamp with time zone))
{%- endmacro %}

{#-
    Whether an incremental model can build on what it holds: it exists, and it already has the
    column that says when each row was built. A table built before the model became incremental
    has not, and is recomputed whole (its new columns added by `on_schema_change`).
-#}
{% macro incremental_ready() -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{ return('built_at' in names) }}
{%- endmacro %}
