with

source as (
    {{ current_versions(source('bronze', 'organizations')) }}
),

renamed as (
    select
        id,
        organization_id,
        name,
        slug,
        type,
        tier,
        approval_status,
        country,
        timezone,
        quiet_hours_start,
        quiet_hours_end,
        monthly_message_quota,
        whatsapp_sender,
        sms_sender,
        sms_fallback_enabled,
        {{ as_json("coalesce(experiment_defaults, '{}')") }} as experiment_defaults,
        {{ audit_columns() }}
    from source
)

select * from renamed
