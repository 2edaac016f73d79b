{{ dose_day_follower_config(['vaccination_date', 'unit_id', 'recipient_id']) }}
-- One row per vaccination visit = recipient x unit x vaccination date (DOMAIN §8.3, §8.4): the doses
-- given, the first and last dose time, the recipient's register status. Shared by the 留观率 and 签核率
-- details, which join the unit's names and regions. Follows int_vaccinations by (vaccination date, unit)
-- (macros dose_day_follower.sql).
with doses as (

    {{ changed_dose_day_rows(ref('int_vaccinations')) }}

),

final as (

    select
        recipient_id,
        unit_id,
        vaccination_date,
        count(*) as doses,
        min(vaccinated_at) as first_vaccinated_at,
        max(vaccinated_at) as last_vaccinated_at,
        max(register_status) as register_status,
        max(register_group) as register_group
    from doses
    where unit_id is not null
    group by recipient_id, unit_id, vaccination_date

)

select * from final
