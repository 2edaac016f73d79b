-- WHO data-quality review: negative dropout DTaP1 -> DTaP3 per unit and calendar year (more third
-- doses than first doses is implausible for a unit's own register). Key: unit_id:year.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

counted as (

    select
        unit_id,
        extract(year from vaccination_date)::integer as period_year,
        count(*) filter (where effective_dose_no = 1) as dtap1_doses,
        count(*) filter (where effective_dose_no = 3) as dtap3_doses
    from doses
    where category_code in {{ dtap_categories() }}
    group by unit_id, extract(year from vaccination_date)::integer

),

final as (

    select
        unit_id || ':' || period_year as unit_period_id,
        unit_id,
        period_year,
        dtap1_doses,
        dtap3_doses,
        round(100.0 * (dtap1_doses - dtap3_doses) / nullif(dtap1_doses, 0), 1) as dropout_rate_pct
    from counted

)

select * from final
