-- 业务人员上传 by unit: current staff (records due for upload) and the national system's answer to each
-- member's latest sent upload item. Statuses are read from exchange.upload_item (never its payload) as of
-- this build; the table is empty of statuses (everyone 未上传) until the exchange has run.
-- Definition: docs/reports/staff_upload.md.
with staff as (

    select * from {{ ref('stg_ops__staff') }}
    where not is_deleted

),

units as (

    select * from {{ ref('dim_unit') }}

),

upload_items as (

    select *
    from (
        {{ relation_or_empty('exchange', 'upload_item', {
            'target': 'text', 'category': 'text', 'record_key': 'text', 'version': 'integer',
            'status': 'text', 'first_sent_at': 'timestamptz'}) }}
    ) as items
    where target = 'niis' and category = 'staff'

),

latest_sent as (

    select distinct on (record_key)
        record_key,
        status
    from upload_items
    where first_sent_at is not null
    order by record_key asc, version desc

),

held as (

    select distinct record_key
    from upload_items
    where status = 'held_back'

),

attempts as (

    select
        record_key,
        count(*) as items_sent,
        count(*) filter (where status = 'rejected') as items_rejected
    from upload_items
    where first_sent_at is not null
    group by record_key

),

staff_status as (

    select
        staff.staff_id,
        staff.unit_id,
        coalesce(
            latest_sent.status,
            case when held.record_key is not null then 'held_back' else 'not_sent' end
        ) as upload_status,
        coalesce(attempts.items_sent, 0) as items_sent,
        coalesce(attempts.items_rejected, 0) as items_rejected
    from staff
    left join latest_sent
        on staff.staff_id::text = latest_sent.record_key
    left join held
        on staff.staff_id::text = held.record_key
    left join attempts
        on staff.staff_id::text = attempts.record_key

),

by_unit as (

    select
        unit_id,
        count(*) as staff_total,
        count(*) filter (where upload_status = 'accepted') as uploaded,
        count(*) filter (where upload_status = 'rejected') as failed,
        count(*) filter (where upload_status = 'in_flight') as in_flight,
        count(*) filter (where upload_status = 'held_back') as held_back,
        count(*) filter (where upload_status in ('not_sent', 'held_back')) as not_uploaded,
        sum(items_sent) as items_sent,
        sum(items_rejected) as items_rejected
    from staff_status
    group by unit_id

),

final as (

    select
        by_unit.unit_id,
        units.unit_name,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.city_code,
        by_unit.staff_total,
        by_unit.uploaded,
        by_unit.failed,
        by_unit.in_flight,
        by_unit.held_back,
        by_unit.not_uploaded,
        by_unit.items_sent,
        by_unit.items_rejected,
        round(by_unit.uploaded::numeric / nullif(by_unit.staff_total, 0), 4) as upload_rate,
        round(by_unit.failed::numeric / nullif(by_unit.uploaded + by_unit.failed, 0), 4) as failure_rate,
        now() as statuses_as_of
    from by_unit
    left join units
        on by_unit.unit_id = units.unit_id

)

select * from final
