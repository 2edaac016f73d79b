{{ config(materialized='view') }}
-- A view over fct_vaccinations: no second stored copy of every dose.
-- 实种情况统计 明细: the doses behind each cell of rpt_shizhong, with the cell's grouping columns.
with vaccinations as (

    select * from {{ ref('fct_vaccinations') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

final as (

    select
        vaccinations.vaccination_id,
        {{ surrogate_key([
            'vaccinations.vaccination_date',
            'vaccinations.unit_id',
            'vaccinations.vaccine_code',
            'vaccinations.effective_dose_no',
            'vaccinations.manufacturer_code',
        ]) }} as cell_id,
        vaccinations.vaccination_date,
        vaccinations.unit_id,
        vaccinations.unit_name,
        vaccinations.unit_township_code,
        vaccinations.unit_county_code,
        vaccinations.unit_city_code,
        vaccinations.vaccine_code,
        vaccinations.vaccine_name,
        vaccinations.effective_dose_no as dose_no,
        vaccinations.manufacturer_code,
        vaccinations.manufacturer_name,
        vaccinations.is_non_vaccine_product,
        vaccinations.recipient_id,
        recipients.recipient_name,
        vaccinations.sex,
        vaccinations.birth_date,
        vaccinations.register_group,
        vaccinations.vaccinated_at,
        vaccinations.batch_no
    from vaccinations
    inner join recipients
        on vaccinations.recipient_id = recipients.recipient_id

)

select * from final
