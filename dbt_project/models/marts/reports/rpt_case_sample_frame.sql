-- 个案随机抽查 抽样框 (issue 3 item 27): one row per current recipient (register status 5 excluded)
-- with what a spot check needs: identity, managing unit and its region, register status, dose count
-- and last vaccination. vaxdw.reports.case_sample draws reproducible samples from it and stores them
-- (with the seed) in sampling.case_sample / sampling.case_sample_member.
with recipients as (

    select * from {{ ref('dim_recipients') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccinations as (

    select * from {{ ref('fct_vaccinations') }}

),

dose_counts as (

    select
        recipient_id,
        count(*) as doses,
        max(vaccination_date) as last_vaccination_date
    from vaccinations
    group by recipient_id

),

final as (

    select
        recipients.recipient_id,
        recipients.recipient_name,
        recipients.sex,
        recipients.sex_name,
        recipients.birth_date,
        recipients.id_number,
        recipients.mother_name,
        recipients.register_status,
        recipients.register_status_name,
        recipients.register_group,
        recipients.is_local,
        recipients.managing_unit_id,
        units.unit_name as managing_unit_name,
        units.township_code,
        units.county_code,
        units.city_code,
        units.province_code,
        coalesce(dose_counts.doses, 0) as doses,
        dose_counts.last_vaccination_date
    from recipients
    left join units
        on recipients.managing_unit_id = units.unit_id
    left join dose_counts
        on recipients.recipient_id = dose_counts.recipient_id

)

select * from final
