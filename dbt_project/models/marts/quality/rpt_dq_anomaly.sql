{{ config(materialized='view') }}
-- 异常数据明细 (anomaly report detail): every record that currently breaks a rule (dq.current_anomaly,
-- kept up to date by every check run), attributed to a unit and its township / county / city / province.
-- A view, so it shows the latest check run without a rebuild.
with anomalies as (

    select * from {{ source('dq', 'current_anomaly') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

doses as (

    select * from {{ ref('fct_vaccinations') }}

),

staff as (

    select * from {{ ref('stg_ops__staff') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

attributed as (

    select
        anomalies.*,
        case
            when anomalies.table_name in ('dim_recipients', 'chk_recipients') then recipients.managing_unit_id
            when anomalies.table_name in ('fct_vaccinations', 'chk_vaccinations') then doses.unit_id
            when anomalies.table_name = 'chk_staff' then staff.unit_id
            else split_part(anomalies.row_key, ':', 1)
        end as unit_id,
        case
            when anomalies.table_name in ('dim_recipients', 'chk_recipients') then recipients.recipient_id
            when anomalies.table_name in ('fct_vaccinations', 'chk_vaccinations') then doses.recipient_id
        end as recipient_id,
        case
            when anomalies.table_name in ('fct_vaccinations', 'chk_vaccinations') then doses.vaccination_id
        end as vaccination_id,
        case
            when anomalies.table_name in ('dim_recipients', 'chk_recipients') then recipients.recipient_id is not null
            when anomalies.table_name in ('fct_vaccinations', 'chk_vaccinations') then doses.vaccination_id is not null
            when anomalies.table_name = 'chk_staff' then staff.staff_id is not null and not staff.is_deleted
            else true
        end as is_record_current
    from anomalies
    left join recipients
        on anomalies.table_name in ('dim_recipients', 'chk_recipients')
            and anomalies.row_key = recipients.recipient_id::text
    left join doses
        on anomalies.table_name in ('fct_vaccinations', 'chk_vaccinations')
            and anomalies.row_key = doses.vaccination_id::text
    left join staff
        on anomalies.table_name = 'chk_staff'
            and anomalies.row_key = staff.staff_id::text

),

final as (

    select
        attributed.rule_id,
        attributed.rule_name_zh,
        attributed.family,
        attributed.severity,
        attributed.rule_set_version,
        attributed.table_name,
        attributed.row_key,
        attributed.recipient_id,
        attributed.vaccination_id,
        attributed.value,
        attributed.message_zh,
        attributed.unit_id,
        units.unit_name,
        units.township_code,
        units.township_name,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        units.province_code,
        units.province_name,
        attributed.run_id,
        attributed.detected_at
    from attributed
    left join units
        on attributed.unit_id = units.unit_id
    where attributed.is_record_current

)

select * from final
