-- 实种情况统计表 (DOMAIN §8.2): doses and distinct persons per vaccination date x unit x vaccine x
-- dose number x manufacturer. Doses add up across cells; persons do not (count distinct again).
with details as (

    select * from {{ ref('rpt_shizhong_detail') }}

),

final as (

    select
        cell_id,
        vaccination_date,
        unit_id,
        unit_name,
        unit_township_code,
        unit_county_code,
        unit_city_code,
        vaccine_code,
        vaccine_name,
        dose_no,
        manufacturer_code,
        manufacturer_name,
        is_non_vaccine_product,
        count(*) as doses,
        count(distinct recipient_id) as persons
    from details
    group by
        cell_id,
        vaccination_date,
        unit_id,
        unit_name,
        unit_township_code,
        unit_county_code,
        unit_city_code,
        vaccine_code,
        vaccine_name,
        dose_no,
        manufacturer_code,
        manufacturer_name,
        is_non_vaccine_product

)

select * from final
