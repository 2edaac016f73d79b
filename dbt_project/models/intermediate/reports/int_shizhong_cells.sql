{{ dose_day_follower_config(['vaccination_date', 'unit_id', 'vaccine_code', 'dose_no', 'manufacturer_code']) }}
-- 实种情况统计 cells (DOMAIN §8.2): doses and distinct persons per vaccination date x unit x vaccine x dose
-- number x manufacturer; the stored part of rpt_shizhong (a view that adds the names and regions).
-- Follows int_vaccinations by (vaccination date, unit) (macros dose_day_follower.sql). The rows of
-- rpt_shizhong_detail, read from fct_vaccinations (the detail's join with dim_recipients keeps every dose:
-- both hold the current recipients only).
with vaccinations as (

    {{ changed_dose_day_rows(ref('fct_vaccinations')) }}

),

details as (

    select
        vaccination_date,
        unit_id,
        vaccine_code,
        effective_dose_no as dose_no,
        manufacturer_code,
        is_non_vaccine_product,
        recipient_id
    from vaccinations

),

final as (

    select
        vaccination_date,
        unit_id,
        vaccine_code,
        dose_no,
        manufacturer_code,
        is_non_vaccine_product,
        count(*) as doses,
        count(distinct recipient_id) as persons
    from details
    group by
        vaccination_date,
        unit_id,
        vaccine_code,
        dose_no,
        manufacturer_code,
        is_non_vaccine_product

)

select * from final
