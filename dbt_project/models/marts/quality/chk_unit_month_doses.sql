-- WHO data-quality review: outlying monthly dose counts per unit by the modified z-score
-- (Iglewicz-Hoaglin: 0.6745 * (x - median) / MAD) over the unit's months. Key: unit_id:YYYY-MM.
-- Reads the doses per unit and month (int_unit_month_doses, kept by difference), not the doses.
with unit_months as (

    select * from {{ ref('int_unit_month_doses') }}

),

latest as (

    select max(month_start) as current_month
    from unit_months

),

-- the months before the latest month with a dose (which is still being entered)
monthly as (

    select
        unit_months.unit_id,
        unit_months.month_start as period_month,
        unit_months.doses
    from unit_months
    cross join latest
    where unit_months.month_start < latest.current_month

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
