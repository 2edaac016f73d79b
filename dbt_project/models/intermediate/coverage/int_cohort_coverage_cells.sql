{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['birth_year', 'township_code', 'category_code', 'dose_no'], 'unique': True}],
    pre_hook="{{ replace_cohort_coverage_cells() }}",
    post_hook=[
        "{{ record_cohort_coverage_members() }}",
        "{{ record_chain_follower_state([ref('fct_child_scheduled_doses')], evaluation_date(),"
        ~ " sources=[{'model': 'stg_ops__register_change'}]) }}",
        "{{ analyze_table() }}",
    ],
) }}
-- depends_on: {{ ref('int_township_codes_resolved') }}
-- depends_on: {{ ref('int_vaccinations') }}
-- depends_on: {{ ref('ref_schedule_dose') }}
-- depends_on: {{ source('ops', 'register_change') }}

-- 乡镇出生队列接种率 cells (DOMAIN §8.6) at the default parameters: per birth year × township (residence,
-- resolved at T) × scheduled dose, the children 在册 as of T (record created by T, born by T), those due,
-- vaccinated and vaccinated in time by T. The stored part of rpt_cohort_coverage (a view that adds the
-- names). Follows the children a day changes or T passes, by difference (macros/cohort_coverage.sql).
{{ cells_kept_by_difference(
    cohort_coverage_cells(cohort_coverage_rows(
        '(' ~ cohort_coverage_members() ~ ')', ref('fct_child_scheduled_doses'), evaluation_date()
    )),
    'children',
) }}
