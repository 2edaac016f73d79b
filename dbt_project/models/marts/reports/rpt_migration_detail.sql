{{ config(indexes=[{'columns': ['initiated_date']}, {'columns': ['from_unit_id']}]) }}
-- 省内迁出 明细: one row per non-deleted in-province migration request, with both units' regions.
with migrations as (

    select * from {{ ref('stg_ops__migration') }}
    where not is_deleted

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        migrations.migration_id,
        migrations.recipient_id,
        recipients.recipient_name,
        recipients.birth_date,
        recipients.register_status,
        recipients.register_group,
        migrations.migration_status,
        migrations.reason,
        migrations.reject_reason,
        migrations.initiated_at,
        migrations.initiated_at::date as initiated_date,
        migrations.decided_at,
        migrations.decided_at::date as decided_date,
        migrations.withdrawn_at,
        migrations.withdrawn_at::date as withdrawn_date,
        case
            when migrations.migration_status = 'accepted'
                then round(extract(epoch from migrations.decided_at - migrations.initiated_at) / 86400.0, 4)
        end as days_to_accept,
        migrations.from_unit_id,
        from_units.unit_name as from_unit_name,
        from_units.township_code as from_township_code,
        from_units.township_name as from_township_name,
        from_units.county_code as from_county_code,
        from_units.county_name as from_county_name,
        from_units.city_code as from_city_code,
        from_units.city_name as from_city_name,
        from_units.province_code as from_province_code,
        from_units.province_name as from_province_name,
        migrations.to_unit_id,
        to_units.unit_name as to_unit_name,
        to_units.township_code as to_township_code,
        to_units.township_name as to_township_name,
        to_units.county_code as to_county_code,
        to_units.county_name as to_county_name,
        to_units.city_code as to_city_code,
        to_units.city_name as to_city_name,
        to_units.province_code as to_province_code,
        to_units.province_name as to_province_name,
        migrations.decided_at < migrations.initiated_at as is_decided_before_initiated
    from migrations
    inner join recipients
        on migrations.recipient_id = recipients.recipient_id
    left join units as from_units
        on migrations.from_unit_id = from_units.unit_id
    left join units as to_units
        on migrations.to_unit_id = to_units.unit_id

)

select * from final
