-- IPV补种剂次 明细 (DOMAIN §8.7): one row per in-register child born in an IPV catch-up campaign's
-- birth window, with the campaign (the managing unit's city's own phase, else the province-wide one),
-- trivalent-containing polio doses before the start C, doses needed, the catch-up doses given in
-- [C, end] with their dates and interval check, completion and the counts_in_schedule flag.
with recipients as (

    select * from {{ ref('dim_recipients') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccinations as (

    select * from {{ ref('fct_vaccinations') }}

),

campaigns as (

    select * from {{ ref('ref_ipv_campaign') }}

),

children as (

    select
        recipients.recipient_id,
        recipients.recipient_name,
        recipients.sex,
        recipients.birth_date,
        recipients.register_status,
        recipients.managing_unit_id,
        units.unit_name as managing_unit_name,
        units.township_code,
        units.county_code,
        units.city_code,
        units.province_code
    from recipients
    left join units
        on recipients.managing_unit_id = units.unit_id
    where recipients.register_group = 'in_register'

),

campaign_matches as (

    select
        children.*,
        campaigns.campaign_id,
        campaigns.phase as campaign_phase,
        campaigns.start_date as campaign_start_date,
        campaigns.end_date as campaign_end_date,
        row_number() over (
            partition by children.recipient_id
            order by (campaigns.city_code = children.city_code) desc, campaigns.campaign_id asc
        ) as campaign_rank
    from children
    inner join campaigns
        on children.birth_date between campaigns.birth_from and campaigns.birth_to
            and campaigns.city_code in (children.city_code, coalesce(children.province_code, '610000'))

),

eligible as (

    select * from campaign_matches
    where campaign_rank = 1

),

polio_doses as (

    select
        vaccinations.recipient_id,
        vaccinations.vaccination_id,
        vaccinations.vaccine_code,
        vaccinations.vaccination_date,
        vaccinations.vaccinated_at,
        vaccinations.vaccine_code in {{ sql_list(var('trivalent_polio_codes')) }} as is_trivalent,
        vaccinations.vaccine_code in {{ sql_list(var('ipv_containing_codes')) }} as is_ipv,
        lag(vaccinations.vaccination_date) over (
            partition by vaccinations.recipient_id
            order by vaccinations.vaccinated_at asc, vaccinations.vaccination_id asc
        ) as previous_polio_date
    from vaccinations
    where vaccinations.category_code = '03'
        or vaccinations.vaccine_code in {{ sql_list(var('trivalent_polio_codes')) }}

),

baseline as (

    select
        eligible.recipient_id,
        count(polio_doses.vaccination_id) filter (
            where polio_doses.is_trivalent
        ) as trivalent_doses_before,
        count(polio_doses.vaccination_id) as polio_doses_before
    from eligible
    left join polio_doses
        on eligible.recipient_id = polio_doses.recipient_id
            and eligible.campaign_start_date > polio_doses.vaccination_date
    group by eligible.recipient_id

),

needs as (

    select
        eligible.*,
        baseline.trivalent_doses_before,
        baseline.polio_doses_before,
        greatest(0, 2 - baseline.trivalent_doses_before) as doses_needed,
        -- routine catch-up rule (DOMAIN §1.4): under 4 years complete 3 polio doses, from 4 years 4
        case
            when eligible.campaign_start_date < (eligible.birth_date + interval '4 years')::date then 3
            else 4
        end as routine_polio_doses_required
    from eligible
    inner join baseline
        on eligible.recipient_id = baseline.recipient_id

),

catchup_doses as (

    select
        needs.recipient_id,
        polio_doses.vaccination_id,
        polio_doses.vaccination_date,
        polio_doses.vaccine_code,
        polio_doses.previous_polio_date is null
        or polio_doses.vaccination_date - polio_doses.previous_polio_date
        >= {{ var('ipv_catchup_min_interval_days') }} as is_interval_valid,
        row_number() over (
            partition by needs.recipient_id
            order by polio_doses.vaccinated_at asc, polio_doses.vaccination_id asc
        ) as catchup_no
    from needs
    inner join polio_doses
        on needs.recipient_id = polio_doses.recipient_id
            and polio_doses.is_ipv
            and polio_doses.vaccination_date between needs.campaign_start_date and needs.campaign_end_date

),

final as (

    select
        needs.recipient_id,
        needs.recipient_name,
        needs.sex,
        needs.birth_date,
        needs.register_status,
        needs.managing_unit_id,
        needs.managing_unit_name,
        needs.township_code,
        needs.county_code,
        needs.city_code,
        needs.province_code,
        needs.campaign_id,
        needs.campaign_phase,
        needs.campaign_start_date,
        needs.campaign_end_date,
        needs.trivalent_doses_before,
        needs.polio_doses_before,
        needs.doses_needed,
        needs.polio_doses_before < needs.routine_polio_doses_required as counts_in_schedule,
        first_dose.vaccination_id as catchup1_vaccination_id,
        first_dose.vaccination_date as catchup1_date,
        first_dose.vaccine_code as catchup1_vaccine_code,
        first_dose.is_interval_valid as catchup1_is_interval_valid,
        second_dose.vaccination_id as catchup2_vaccination_id,
        second_dose.vaccination_date as catchup2_date,
        second_dose.vaccine_code as catchup2_vaccine_code,
        second_dose.is_interval_valid as catchup2_is_interval_valid,
        (first_dose.vaccination_id is not null)::integer
        + (second_dose.vaccination_id is not null)::integer as catchup_doses_given,
        needs.doses_needed > 0
        and (first_dose.vaccination_id is not null)::integer
        + (second_dose.vaccination_id is not null)::integer >= needs.doses_needed as is_completed
    from needs
    left join catchup_doses as first_dose
        on needs.recipient_id = first_dose.recipient_id
            and first_dose.catchup_no = 1
            and needs.doses_needed >= 1
    left join catchup_doses as second_dose
        on needs.recipient_id = second_dose.recipient_id
            and second_dose.catchup_no = 2
            and needs.doses_needed >= 2

)

select * from final
