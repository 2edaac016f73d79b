{{ config(indexes=[{'columns': ['recipient_id', 'unit_id', 'vaccination_date']}]) }}
-- One row per vaccination visit = recipient x unit x vaccination date (DOMAIN §8.3, §8.4): the doses
-- given, the first and last dose time, and the unit's place in the region hierarchy. Shared by the
-- 留观率 and 签核率 visit details.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

final as (

    select
        {{ surrogate_key(['recipient_id', 'unit_id', 'vaccination_date']) }} as visit_key,
        recipient_id,
        unit_id,
        vaccination_date,
        count(*) as doses,
        min(vaccinated_at) as first_vaccinated_at,
        max(vaccinated_at) as last_vaccinated_at,
        max(unit_name) as unit_name,
        max(unit_township_code) as unit_township_code,
        max(unit_township_name) as unit_township_name,
        max(unit_county_code) as unit_county_code,
        max(unit_county_name) as unit_county_name,
        max(unit_city_code) as unit_city_code,
        max(unit_city_name) as unit_city_name,
        max(unit_province_code) as unit_province_code,
        max(unit_province_name) as unit_province_name,
        max(register_status) as register_status,
        max(register_group) as register_group
    from doses
    where unit_id is not null
    group by recipient_id, unit_id, vaccination_date

)

select * from final
