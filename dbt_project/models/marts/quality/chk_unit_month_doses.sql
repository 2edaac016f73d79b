-- WHO data-quality review: outlying monthly dose counts per unit by the modified z-score
-- (Iglewicz-Hoaglin: 0.6745 * (x - median) / MAD) over the unit's months. Key: unit_id:YYYY-MM.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

latest as (

    select date_trunc('month', max(vaccination_date))::date as current_month
    from doses

),

monthly as (

    select
        unit_id,
        date_trunc('month', vaccination_date)::date as period_month,
        count(*) as doses
    from doses
    cross join latest
    where doses.vaccination_date < latest.current_month
    group by unit_id, date_trunc('month', vaccination_date)::date

),

medians as (

    select
        unit_id,
        count(*) as months,
        percentile_cont(0.5) within group (order by doses) as median_doses
    from monthly
    group by unit_id

),

deviations as (

    select
        monthly.unit_id,
        percentile_cont(0.5) within group (order by abs(monthly.doses - medians.median_doses)) as mad
    from monthly
    inner join medians
        on monthly.unit_id = medians.unit_id
    group by monthly.unit_id

),

final as (

    select
        monthly.unit_id || ':' || to_char(monthly.period_month, 'YYYY-MM') as unit_month_id,
        monthly.unit_id,
        monthly.period_month,
        monthly.doses,
        medians.months,
        medians.median_doses,
        deviations.mad,
        case
            when deviations.mad > 0
                then round((0.6745 * (monthly.doses - medians.median_doses) / deviations.mad)::numeric, 2)
        end as modified_z_score,
        medians.months >= {{ var("dq_outlier_min_months") }} as is_evaluable
    from monthly
    inner join medians
        on monthly.unit_id = medians.unit_id
    inner join deviations
        on monthly.unit_id = deviations.unit_id

)

select * from final
