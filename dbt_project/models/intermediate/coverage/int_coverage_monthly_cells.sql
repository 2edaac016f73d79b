{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['month_start', 'managing_unit_id', 'category_code', 'dose_no'], 'unique': True}],
    pre_hook="{{ replace_coverage_monthly_cells() }}",
    post_hook=[
        "{{ record_chain_follower_state([ref('fct_child_scheduled_doses')], coverage_evaluation_month()) }}",
        "{{ analyze_table() }}",
    ],
) }}
-- 接种率监测 月报 cells (DOMAIN §2.2): per month x managing unit x scheduled dose, 应种 (incl. the +1 cases),
-- 实种 and +1/+1. The stored part of rpt_coverage_monthly (a view that adds the units' names and regions).
-- Follows fct_child_scheduled_doses by difference (macros chain_log.sql, coverage_monthly.sql): a build adds
-- the rows that the builds of fct_child_scheduled_doses since its last one replaced (minus the old, plus the
-- new), to the cells they touch; it computes everything again after a full build of fct_child_scheduled_doses,
-- when it missed builds the log no longer holds, and when the evaluation month moved.
{{ cells_kept_by_difference(
    coverage_monthly_cells(coverage_monthly_rows(ref('fct_child_scheduled_doses'))), 'due'
) }}
