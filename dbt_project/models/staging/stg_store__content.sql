with

source as (
    {{ current_versions(source('bronze', 'content')) }}
),

renamed as (
    select
        id,
        organization_id,
        key,
        kind,
        description,
        correct_answer,
        is_urgent,
        options,
        {{ audit_columns() }}
    from source
)

select * from renamed
