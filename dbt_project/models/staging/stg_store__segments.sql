with

source as (
    {{ current_versions(source('bronze', 'segments')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        description,
        kind,
        {{ as_json("rule") }} as rule,
        is_active,
        {{ audit_columns() }}
    from source
)

select * from renamed
