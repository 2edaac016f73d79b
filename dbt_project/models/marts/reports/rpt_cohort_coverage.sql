{{ config(materialized='view') }}
-- 乡镇出生队列接种率 (DOMAIN §8.6) for the default parameters: evaluation date T = var evaluation_date
-- (today), cohorts = birth years, township = residence township resolved to the code valid at T.
-- Denominator: children born in the year, 在册 as of T (int_register_status_as_of, from the
-- register-change history), record created by T.
-- Numerators: valid k-th dose by T; timely = also before the completion age. Other T, cohorts,
-- household township or historical boundaries: vaxdw.reports.cohort_coverage.
-- A view: the counts are stored in int_cohort_coverage_cells (kept by difference, macros/cohort_coverage.sql);
-- the township's names and regions and the merged codes (which follow T) are joined here.
with cells as (

    select
        birth_year,
        nullif(township_code, '') as township_code,
        category_code,
        category_name,
        dose_no,
        children,
        due_children,
        vaccinated,
        timely_vaccinated
    from {{ ref('int_cohort_coverage_cells') }}

),

resolved as (

    select * from {{ ref('int_township_codes_resolved') }}

),

regions as (

    select * from {{ ref('dim_region') }}

),

merged_codes as (

    select
        resolved_township_code,
        count(*) filter (where township_code <> resolved_township_code) as merged_code_count
    from resolved
    group by resolved_township_code

),

final as (

    select
        {{ surrogate_key(['cells.birth_year', 'cells.township_code', 'cells.category_code', 'cells.dose_no']) }}
            as cell_id,
        cells.birth_year,
        cells.township_code,
        regions.region_name as township_name,
        regions.county_code,
        regions.city_code,
        coalesce(merged_codes.merged_code_count, 0) as merged_code_count,
        cells.category_code,
        cells.category_name,
        cells.dose_no,
        cells.children,
        cells.due_children,
        cells.vaccinated,
        cells.timely_vaccinated,
        round(cells.vaccinated::numeric / nullif(cells.children, 0), 4) as coverage,
        round(cells.timely_vaccinated::numeric / nullif(cells.children, 0), 4) as timely_coverage
    from cells
    left join regions
        on cells.township_code = regions.region_code
    left join merged_codes
        on cells.township_code = merged_codes.resolved_township_code

)

select * from final
