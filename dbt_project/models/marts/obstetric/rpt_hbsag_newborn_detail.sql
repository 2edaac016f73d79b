{{ config(indexes=[{'columns': ['birth_date']}, {'columns': ['unit_id']}]) }}
-- 产科 HBsAg 阳性母亲所生儿童乙肝接种率 明细 (DOMAIN §8.5): one row per child of an HBsAg-positive or
-- unknown-status mother (cohort), attributed to the current managing clinic (unit_ prefix, clinic view).
-- Mother's status: obstetric newborn.mother_hbsag first, then recipient.mother_hbsag (null = unknown).
-- Children who died (register_status 4) and deleted records are excluded. Ages and doses as of the
-- evaluation date T (var evaluation_date).
with recipients as (

    select * from {{ ref('dim_recipients') }}
    where register_group != 'deleted' and register_status != 4

),

newborns as (

    select
        *,
        row_number() over (partition by recipient_id order by created_at desc, newborn_id desc) as newborn_rank
    from {{ ref('fct_newborns') }}
    where recipient_id is not null

),

-- The cohort's children (about one in twenty): only their doses are read, by int_vaccinations' index on
-- recipient_id, not every dose of the province.
cohort_members as (

    select recipients.recipient_id
    from recipients
    left join newborns
        on recipients.recipient_id = newborns.recipient_id and newborns.newborn_rank = 1
    where recipients.birth_date <= {{ evaluation_date() }}
        and coalesce(coalesce(newborns.mother_hbsag, recipients.mother_hbsag) in ('1', '3'), true)

),

doses as (

    select
        recipient_id,
        category_code,
        vaccinated_at,
        vaccination_date,
        recomputed_dose_no,
        is_valid_dose
    from {{ ref('int_vaccinations') }}
    where vaccination_date <= {{ evaluation_date() }}
        and category_code in ('02', '39')
        and recipient_id in (select recipient_id from cohort_members)

),

units as (

    select * from {{ ref('dim_unit') }}

),

hepb_doses as (

    select
        recipient_id,
        vaccinated_at,
        vaccination_date,
        recomputed_dose_no,
        is_valid_dose,
        lag(vaccinated_at) over (partition by recipient_id order by vaccinated_at) as previous_vaccinated_at
    from doses
    where category_code = '02'

),

-- Valid doses: scheduled doses valid by the schedule (min age, min interval); the schedule seed has 3 HepB
-- doses, so a 4th dose (the < 2000 g schedule, DOMAIN §1.3) counts when >= 28 days after the previous one.
hepb_valid as (

    select
        *,
        coalesce(is_valid_dose, false)
        or (
            recomputed_dose_no >= 4
            and vaccinated_at >= previous_vaccinated_at + interval '28 days'
        ) as is_course_dose
    from hepb_doses

),

hepb as (

    select
        recipient_id,
        min(vaccinated_at) as hepb1_at,
        count(*) filter (where is_course_dose) as valid_doses,
        (array_agg(vaccination_date order by vaccinated_at) filter (where is_course_dose))[3] as third_valid_date,
        (array_agg(vaccination_date order by vaccinated_at) filter (where is_course_dose))[4] as fourth_valid_date
    from hepb_valid
    group by recipient_id

),

hbig as (

    select
        recipient_id,
        min(vaccinated_at) as hbig_at
    from doses
    where category_code = '39'
    group by recipient_id

),

cohort as (

    select
        recipients.*,
        newborns.newborn_id,
        newborns.unit_id as obstetric_unit_id,
        newborns.unit_name as obstetric_unit_name,
        coalesce(newborns.mother_hbsag, recipients.mother_hbsag) as effective_hbsag,
        case when newborns.mother_hbsag is not null then 'newborn' else 'recipient' end as hbsag_source,
        coalesce(newborns.birth_weight, recipients.birth_weight) as effective_birth_weight,
        least(newborns.hepb1_at, hepb.hepb1_at) as hepb1_at,
        least(newborns.hbig_at, hbig.hbig_at) as hbig_at,
        coalesce(hepb.valid_doses, 0) as hepb_valid_doses,
        hepb.third_valid_date,
        hepb.fourth_valid_date,
        (
            extract(year from age({{ evaluation_date() }}, recipients.birth_date)) * 12
            + extract(month from age({{ evaluation_date() }}, recipients.birth_date))
        )::int as age_months
    from recipients
    left join newborns
        on recipients.recipient_id = newborns.recipient_id and newborns.newborn_rank = 1
    left join hepb
        on recipients.recipient_id = hepb.recipient_id
    left join hbig
        on recipients.recipient_id = hbig.recipient_id
    where recipients.birth_date <= {{ evaluation_date() }}

),

measured as (

    select
        *,
        case when effective_hbsag = '1' then 'positive' else 'unknown' end as hbsag_cohort,
        case when effective_birth_weight < {{ var('low_birth_weight_g') }} then 4 else 3 end as required_doses,
        extract(epoch from hepb1_at - birth_at) / 3600.0 as hepb1_hours,
        extract(epoch from hbig_at - birth_at) / 3600.0 as hbig_hours
    from cohort
    where effective_hbsag = '1' or effective_hbsag = '3' or effective_hbsag is null

),

final as (

    select
        measured.recipient_id,
        measured.recipient_name,
        measured.birth_at,
        measured.birth_date,
        measured.effective_birth_weight as birth_weight,
        measured.mother_name,
        measured.effective_hbsag as mother_hbsag,
        measured.hbsag_source,
        measured.hbsag_cohort,
        measured.newborn_id,
        measured.obstetric_unit_id,
        measured.obstetric_unit_name,
        measured.register_status,
        measured.register_group,
        measured.age_months,
        case
            when measured.age_months < 7 then 'm00_06'
            when measured.age_months < 12 then 'm07_11'
            when measured.age_months < 24 then 'y1'
            when measured.age_months < 36 then 'y2'
            else 'y3plus'
        end as age_group,
        measured.managing_unit_id as unit_id,
        units.unit_name,
        {{ unit_region_columns('units') }},
        measured.hepb1_at,
        round(measured.hepb1_hours::numeric, 2) as hepb1_hours,
        measured.hbig_at,
        round(measured.hbig_hours::numeric, 2) as hbig_hours,
        measured.hepb_valid_doses,
        measured.required_doses,
        coalesce(measured.hepb1_hours <= 12, false) as is_hepb1_12h,
        coalesce(measured.hepb1_hours <= 24, false) as is_hepb1_24h,
        coalesce(measured.hbig_hours <= 12, false) as is_hbig_12h,
        coalesce(measured.hepb1_hours <= 12 and measured.hbig_hours <= 12, false) as is_both_12h,
        measured.age_months
        >= {{ var('hbsag_full_course_min_age_months') }} + measured.required_doses - 3 as is_full_course_eligible,
        measured.age_months >= {{ var('hbsag_full_course_min_age_months') }} + measured.required_doses - 3
        and measured.hepb_valid_doses >= measured.required_doses as is_full_course,
        measured.age_months >= {{ var('hbsag_full_course_min_age_months') }} + measured.required_doses - 3
        and measured.hepb_valid_doses >= measured.required_doses
        and case when measured.required_doses = 4 then measured.fourth_valid_date else measured.third_valid_date end
        < (measured.birth_date + interval '12 months')::date as is_full_course_timely
    from measured
    left join units
        on measured.managing_unit_id = units.unit_id

)

select * from final
