{{ config(materialized='view') }}
-- noqa: disable=AL03
-- 受种者个案: every recorded event of a child, one row each, in sections (vaccinations, migrations,
-- register changes, contraindications, AEFI, infectious diseases, allergies, operation log), for a
-- dashboard filtered on one recipient_id and for the per-recipient workbook.
-- A view: it is always read for one recipient, and the filter reaches every source through its index on
-- recipient_id (int_vaccinations; raw's current versions: the contract's current_indexes).
with recipients as (

    select recipient_id from {{ ref('dim_recipients') }}

),

units as (

    select
        unit_id,
        unit_name
    from {{ ref('dim_unit') }}

),

events as (

    select
        recipient_id,
        1 as section_order,
        'vaccination' as section,
        vaccination_id::text as source_key,
        vaccinated_at as event_at,
        unit_id,
        coalesce(vaccine_name, vaccine_code) || ' 第' || coalesce(dose_no::text, '?') || '剂' as item,
        concat_ws('；', '批号 ' || batch_no, '生产企业 ' || manufacturer_name) as detail
    from {{ ref('fct_vaccinations') }}
    union all
    select
        recipient_id,
        2,
        'migration',
        migration_id::text,
        initiated_at,
        from_unit_id,
        '迁出至 ' || to_unit_id,
        concat_ws(
            '；', '状态 ' || migration_status, '决定 ' || decided_at::text, '撤回 ' || withdrawn_at::text,
            reject_reason
        )
    from {{ ref('stg_ops__migration') }}
    where not is_deleted
    union all
    select
        recipient_id,
        3,
        'register_change',
        change_id::text,
        changed_at,
        unit_id,
        coalesce(previous_status::text, '—') || ' → ' || new_status::text,
        reason
    from {{ ref('stg_ops__register_change') }}
    where not is_deleted
    union all
    select
        recipient_id,
        4,
        'contraindication',
        contraindication_id::text,
        recorded_at,
        unit_id,
        contraindication_code,
        concat_ws('；', '疫苗 ' || vaccine_code, '暂缓至 ' || valid_until::text)
    from {{ ref('stg_ops__contraindication') }}
    where not is_deleted
    union all
    select
        recipient_id,
        5,
        'aefi',
        aefi_id::text,
        onset_at,
        unit_id,
        aefi_code,
        concat_ws('；', '接种记录 ' || vaccination_id::text, case when is_serious then '严重' end, outcome)
    from {{ ref('stg_ops__aefi') }}
    where not is_deleted
    union all
    select
        recipient_id,
        6,
        'infection',
        infection_id::text,
        recorded_at,
        unit_id,
        disease_code,
        '诊断日期 ' || diagnosed_date::text
    from {{ ref('stg_ops__infection_history') }}
    where not is_deleted
    union all
    select
        recipient_id,
        7,
        'allergy',
        allergy_id::text,
        recorded_at,
        unit_id,
        allergen_code,
        reaction
    from {{ ref('stg_ops__allergy_history') }}
    where not is_deleted
    union all
    select
        recipient_id,
        8,
        'operation_log',
        log_id::text,
        operated_at,
        unit_id,
        operation || ' ' || table_name || ' ' || row_key,
        concat_ws('；', '字段 ' || changed_columns, '操作人 ' || operator_id::text)
    from {{ ref('stg_ops__operation_log') }}

),

final as (

    select
        events.recipient_id,
        events.section_order,
        events.section,
        events.source_key,
        events.event_at,
        events.unit_id,
        units.unit_name,
        events.item,
        events.detail
    from events
    inner join recipients
        on events.recipient_id = recipients.recipient_id
    left join units
        on events.unit_id = units.unit_id

)

select * from final
