{#
    接种率监测 月报 (DOMAIN §2.2; docs/reports/coverage_monitoring.md). The rows of one child x scheduled dose
    x month in which the dose counts: 应种 from the month it fell due for var due_carry_months months (while
    the child is under var due_max_age_years) up to the month it was given, 实种 in the month it was given,
    and the 应种 +1 / 实种 +1 rows. Written once, read twice: by the view rpt_coverage_monthly_detail over
    fct_child_scheduled_doses, and by int_coverage_monthly_cells over the logged rows of the builds of
    fct_child_scheduled_doses it has not added yet (chain_log.sql). child_doses: a relation with the columns
    of fct_child_scheduled_doses; extra_columns: further columns of it carried to every row (the log's sign).
#}

{% macro coverage_monthly_rows(child_doses, extra_columns=[]) %}
    with doses as (

        select
            {%- for column in extra_columns %}
            child_doses.{{ column }},
            {%- endfor %}
            child_doses.child_dose_id,
            child_doses.recipient_id,
            child_doses.managing_unit_id,
            child_doses.register_group,
            child_doses.birth_date,
            child_doses.category_code,
            child_doses.category_name,
            child_doses.dose_no,
            child_doses.due_date,
            child_doses.vaccination_id,
            child_doses.vaccination_date,
            date_trunc('month', child_doses.due_date)::date as due_month,
            date_trunc('month', child_doses.vaccination_date)::date as given_month,
            least(
                (
                    date_trunc('month', child_doses.due_date)
                    + make_interval(months => {{ var('due_carry_months') }} - 1)
                )::date,
                date_trunc(
                    'month', child_doses.birth_date
                    + make_interval(years => {{ var('due_max_age_years') }}) - interval '1 day'
                )::date,
                {{ coverage_evaluation_month() }}
            ) as last_due_month
        from {{ child_doses }} as child_doses
        where
            child_doses.register_group in ('in_register', 'temporary')
            -- doses falling due after the evaluation month count nowhere unless already given
            and (
                child_doses.vaccination_date is not null
                or child_doses.due_date < ({{ coverage_evaluation_month() }} + interval '1 month')::date
            )

    ),

    due_months as (

        select
            doses.*,
            months.month_start::date as month_start,
            doses.given_month = months.month_start::date as is_given,
            false as is_plus_one
        from doses
        cross join
            lateral generate_series(
                doses.due_month,
                least(doses.last_due_month, coalesce(doses.given_month, doses.last_due_month)),
                interval '1 month'
            ) as months (month_start)
        where doses.register_group = 'in_register'

    ),

    plus_one as (

        select
            doses.*,
            doses.given_month as month_start,
            true as is_given,
            true as is_plus_one
        from doses
        where doses.vaccination_date is not null
            and doses.given_month <= {{ coverage_evaluation_month() }}
            and (
                doses.register_group = 'temporary'
                or (doses.given_month >= doses.due_month and doses.given_month > doses.last_due_month)
            )

    ),

    {%- set columns = extra_columns + [
        'child_dose_id', 'month_start', 'recipient_id', 'managing_unit_id', 'register_group', 'birth_date',
        'category_code', 'category_name', 'dose_no', 'due_date', 'vaccination_id', 'vaccination_date',
        'is_given', 'is_plus_one',
    ] %}

    final as (

        select
            {{ surrogate_key(['child_dose_id', 'month_start']) }} as child_dose_month_id,
            {{ columns | join(',\n            ') }}
        from due_months

        union all

        select
            {{ surrogate_key(['child_dose_id', 'month_start']) }} as child_dose_month_id,
            {{ columns | join(',\n            ') }}
        from plus_one

    )

    select * from final
{% endmacro %}


{#- The evaluation month: the only way the rows depend on the evaluation date. -#}
{% macro coverage_evaluation_month() -%}
    date_trunc('month', {{ evaluation_date() }})::date
{%- endmacro %}


{#- The cells (month x managing unit x scheduled dose) of rows of coverage_monthly_rows; weight: a column
    each row counts with (the log's sign), else 1. -#}
{% macro coverage_monthly_cells(rows, weight=none) %}
    {%- set w = weight or '1' %}
    select
        month_start,
        managing_unit_id,
        category_code,
        max(category_name) as category_name,
        dose_no,
        sum({{ w }})::bigint as due,
        coalesce(sum({{ w }}) filter (where is_given), 0)::bigint as given,
        coalesce(sum({{ w }}) filter (where is_plus_one), 0)::bigint as plus_one
    from ({{ rows }}) as rows
    group by month_start, managing_unit_id, category_code, dose_no
{% endmacro %}


{#- Pre-hook of int_coverage_monthly_cells, on an incremental build: the builds of fct_child_scheduled_doses
    it has not added (follow_chain_logs); unless everything is computed again, the cells they touch, as they
    are now plus the logged rows' difference, into a temporary table, and those cells deleted (all of them
    when everything is computed again); the body inserts them. -#}
{% macro replace_coverage_monthly_cells() %}
    {%- if is_incremental() %}
    {{ follow_chain_logs([ref('fct_child_scheduled_doses')], coverage_evaluation_month()) }}
    create temporary table {{ cells_table() }} on commit drop as
    with difference as (

        {{ coverage_monthly_cells(coverage_monthly_rows(chain_changes_table(ref('fct_child_scheduled_doses')), ['sign']), 'sign') }}

    )

    {{ cells_plus_difference(
        ['month_start', 'managing_unit_id', 'category_code', 'category_name', 'dose_no', 'due', 'given', 'plus_one'],
        ['due', 'given', 'plus_one'], coverage_cell_match('cells', 'difference'),
    ) }}
    {%- endif %}
{% endmacro %}

{#- The same cell (the source's managing unit is required: no null in the key, tested). -#}
{% macro coverage_cell_match(a, b) -%}
    {{ a }}.month_start = {{ b }}.month_start
    and {{ a }}.managing_unit_id = {{ b }}.managing_unit_id
    and {{ a }}.category_code = {{ b }}.category_code
    and {{ a }}.dose_no = {{ b }}.dose_no
{%- endmacro %}
