with

source as (
    {{ current_versions(source('bronze', 'experiment_variants')) }}
),

renamed as (
    select
        id,
        organization_id,
        experiment_id,
        key,
        name,
        is_control,
        weight,
        content_variant_key,
        {{ as_json("settings") }} as settings,
        {{ audit_columns() }}
    from source
)

select * from renamed
