with

source as (
    {{ current_versions(source('bronze', 'content_variants')) }}
),

renamed as (
    select
        id,
        organization_id,
        content_id,
        variant_key,
        language,
        body,
        template_sid,
        {{ as_json("template_variables") }} as template_variables,
        option_texts,
        media_url,
        media_type,
        media_bytes,
        {{ audit_columns() }}
    from source
)

select * from renamed
