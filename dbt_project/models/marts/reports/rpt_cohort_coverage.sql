-- 乡镇出生队列接种率 (DOMAIN §8.6) for the default parameters: evaluation date T = var evaluation_date
-- (today), cohorts = birth years, township = residence township resolved to the code valid at T.
-- Denominator: children born in the year, 在册 as of T (int_register_status_as_of, from the
-- register-change history), record created by T.
-- Numerators: valid k-th dose by T; timely = also before the completion age. Other T, cohorts,
-- household township or historical boundaries: vaxdw.reports.cohort_coverage.
with details as (

    select * from {{ ref('rpt_cohort_coverage_detail') }}

),

resolved as (

    select * from {{ ref('int_township_codes_resolved') }}

),

regions as (

    select * from {{ ref('dim_region') }}

),

statuses as (

    select * from {{ ref('int_register_status_as_of') }}

),

merged_codes as (

    select
        resolved_township_code,
        count(*) filter (where township_code <> resolved_township_code) as merged_code_count
    from resolved
    group by resolved_township_code

),

cohort as (

    select
        extract(year from details.birth_date)::integer as birth_year,
        coalesce(resolved.resolved_township_code, details.residence_township_code) as township_code,
        details.category_code,
        max(details.category_name) as category_name,
        details.dose_no,
        count(*) as children,
        count(*) filter (where details.due_date <= {{ evaluation_date() }}) as due_children,
        count(*) filter (
            where details.is_valid_dose and details.vaccination_date <= {{ evaluation_date() }}
        ) as vaccinated,
        count(*) filter (
            where details.is_timely and details.vaccination_date <= {{ evaluation_date() }}
        ) as timely_vaccinated
    from details
    inner join statuses
        on details.recipient_id = statuses.recipient_id
    left join resolved
        on details.residence_township_code = resolved.township_code
    where statuses.register_group = 'in_register'
        and details.created_at::date <= {{ evaluation_date() }}
        and details.birth_date <= {{ evaluation_date() }}
    group by
        extract(year from details.birth_date)::integer,
        coalesce(resolved.resolved_township_code, details.residence_township_code),
        details.category_code,
        details.dose_no

),

final as (

    select
        {{ surrogate_key(['cohort.birth_year', 'cohort.township_code', 'cohort.category_code', 'cohort.dose_no']) }}
            as cell_id,
        cohort.birth_year,
        cohort.township_code,
        regions.region_name as township_name,
        regions.county_code,
        regions.city_code,
        coalesce(merged_codes.merged_code_count, 0) as merged_code_count,
        cohort.category_code,
        cohort.category_name,
        cohort.dose_no,
        cohort.children,
        cohort.due_children,
        cohort.vaccinated,
        cohort.timely_vaccinated,
        round(cohort.vaccinated::numeric / nullif(cohort.children, 0), 4) as coverage,
        round(cohort.timely_vaccinated::numeric / nullif(cohort.children, 0), 4) as timely_coverage
    from cohort
    left join regions
        on cohort.township_code = regions.region_code
    left join merged_codes
        on cohort.township_code = merged_codes.resolved_township_code

)

select * from final
