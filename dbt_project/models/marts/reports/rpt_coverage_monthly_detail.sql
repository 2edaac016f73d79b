{{ config(materialized='view') }}
-- 接种率监测 月报 明细 (DOMAIN §2.2): one row per child x scheduled dose x month in which the dose
-- counts. 应种: an in-register child aged under var due_max_age_years whose dose fell due this month,
-- or fell due within the last var due_carry_months months and was not given before this month (from
-- month 13 unvaccinated the child drops out of 应种). 实种: the dose given this month (is_given).
-- 应种 +1 / 实种 +1 (is_plus_one): a dose given to a 临时 child, to a child at or above the age
-- limit, or to a child who had dropped out of 应种. Months up to the evaluation date's month.
-- The rows are written once (macro coverage_monthly_rows); int_coverage_monthly_cells counts them.
{{ coverage_monthly_rows(ref('fct_child_scheduled_doses')) }}
