-- 省内迁出报表 (DOMAIN §8.8): per from-unit and month, requests initiated and decisions taken in the month.
-- noqa: disable=AL03
with migrations as (

    select * from {{ ref('rpt_migration_detail') }}

),

events as (

    select
        from_unit_id,
        date_trunc('month', initiated_date)::date as event_month,
        'initiated' as event_type
    from migrations
    union all
    select
        from_unit_id,
        date_trunc('month', decided_date)::date,
        migration_status
    from migrations
    where migration_status in ('accepted', 'rejected')
    union all
    select
        from_unit_id,
        date_trunc('month', withdrawn_date)::date,
        'withdrawn'
    from migrations
    where migration_status = 'withdrawn'

),

final as (

    select
        from_unit_id,
        event_month,
        count(*) filter (where event_type = 'initiated') as initiated,
        count(*) filter (where event_type = 'accepted') as accepted,
        count(*) filter (where event_type = 'rejected') as rejected,
        count(*) filter (where event_type = 'withdrawn') as withdrawn
    from events
    group by from_unit_id, event_month

)

select * from final
