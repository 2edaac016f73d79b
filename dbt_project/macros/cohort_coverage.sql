{#
    乡镇出生队列接种率 (DOMAIN §8.6; docs/reports/cohort_coverage.md) at the default parameters, as stored cells
    (int_cohort_coverage_cells; rpt_cohort_coverage is a view that adds the names) kept by difference
    (docs/scaling.md, "Incremental builds").

    A cell (birth year × township × scheduled dose) counts the rows of fct_child_scheduled_doses of its
    members: the children 在册 as of T (register history: register_status_as_of), their record created by T,
    counted in their residence township resolved at T (dim_recipients). A row counts when the child is born by
    T; it is due, vaccinated and timely by T from its due date and the date of its k-th dose.

    So a child's contribution changes only when its rows change (fct_child_scheduled_doses' change log), its
    register history changes (register changes loaded since the last build, and the versions they replaced),
    its township's resolution changes, or T passes one of its dates: a register change, its record's
    creation, its birth, a due date or a dose. A daily build finds those children (each through an index:
    the dates T passed are one day's worth), and adds to their cells what they count now less what they
    counted at the last build's T: the members as they were are kept in <model>__members (recipient,
    township), their rows as they were are the rows now less the logged differences since (the log's
    signs), and the township resolutions the last build used in <model>__townships.
    Everything is computed again on a full build, after a full build of fct_child_scheduled_doses, when the
    model missed builds its log no longer holds, and when T moved back.
#}

{% macro cohort_coverage_members_table() -%}
    {{ this.schema }}.{{ this.identifier }}__members
{%- endmacro %}

{% macro cohort_coverage_townships_table() -%}
    {{ this.schema }}.{{ this.identifier }}__townships
{%- endmacro %}

{% macro cohort_coverage_recipients_table() -%}
    {{ this.identifier }}__recipients
{%- endmacro %}

{% macro cohort_coverage_members_now_table() -%}
    {{ this.identifier }}__members_now
{%- endmacro %}


{#- The children counted at T with the township they count in ('' for a child without a residence township:
    the cells' key holds no null, so that a cell is found by equality, by hash or index; rpt_cohort_coverage
    shows it as null); recipients: a relation (recipient_id) to restrict them to, or none for all. -#}
{% macro cohort_coverage_members(recipients=none) %}
    select
        children.recipient_id,
        coalesce(children.residence_township_code_resolved, '') as township_code
    from {{ ref('dim_recipients') }} as children
    inner join ({{ register_status_as_of(recipients) }}) as statuses
        on children.recipient_id = statuses.recipient_id
    where statuses.register_group = 'in_register'
        and children.created_at::date <= {{ evaluation_date() }}
        {%- if recipients %}
        and children.recipient_id in (select recipient_id from {{ recipients }})
        {%- endif %}
{% endmacro %}


{#- The counted rows of members (recipient_id, township_code) in child_doses (columns of
    fct_child_scheduled_doses) at the date as_of, each with a weight. -#}
{% macro cohort_coverage_rows(members, child_doses, as_of, weight='1') %}
    select
        extract(year from child_doses.birth_date)::integer as birth_year,
        members.township_code,
        child_doses.category_code,
        child_doses.category_name,
        child_doses.dose_no,
        {{ weight }} as weight,
        child_doses.due_date <= {{ as_of }} as is_due,
        child_doses.is_valid_dose and child_doses.vaccination_date <= {{ as_of }} as is_vaccinated,
        child_doses.is_timely and child_doses.vaccination_date <= {{ as_of }} as is_timely
    from {{ members }} as members
    inner join {{ child_doses }} as child_doses
        on members.recipient_id = child_doses.recipient_id
    where child_doses.birth_date <= {{ as_of }}
{% endmacro %}


{% macro cohort_coverage_cells(rows) %}
    select
        birth_year,
        township_code,
        category_code,
        max(category_name) as category_name,
        dose_no,
        sum(weight)::bigint as children,
        coalesce(sum(weight) filter (where is_due), 0)::bigint as due_children,
        coalesce(sum(weight) filter (where is_vaccinated), 0)::bigint as vaccinated,
        coalesce(sum(weight) filter (where is_timely), 0)::bigint as timely_vaccinated
    from ({{ rows }}) as rows
    group by birth_year, township_code, category_code, dose_no
{% endmacro %}


{#- The same cell. -#}
{% macro cohort_coverage_cell_match(a, b) -%}
    {{ a }}.birth_year = {{ b }}.birth_year
    and {{ a }}.township_code = {{ b }}.township_code
    and {{ a }}.category_code = {{ b }}.category_code
    and {{ a }}.dose_no = {{ b }}.dose_no
{%- endmacro %}


{#- Pre-hook, on an incremental build: the children whose contribution may have changed, their members
    now, and the cells they touch as they are now plus the difference, into temporary tables; those cells
    deleted (all of them when everything is computed again). The body inserts them. -#}
{% macro replace_cohort_coverage_cells() %}
    {%- if is_incremental() %}
    {%- set child_doses = ref('fct_child_scheduled_doses') %}
    {%- set today = evaluation_date() %}
    {{ follow_chain_logs([child_doses], today, forward=true) }}
    create table if not exists {{ cohort_coverage_members_table() }} (recipient_id text, township_code text);
    create table if not exists {{ cohort_coverage_townships_table() }} (
        township_code text,
        resolved_township_code text
    );
    create temporary table {{ cohort_coverage_recipients_table() }} on commit drop as
    with follow as (

        select
            sources_load_id as read_up_to,
            previous_evaluation_date as since
        from {{ chain_follower_table() }}
        where not is_everything

    ),

    changed_townships as (

        select coalesce(now.township_code, before.township_code) as township_code
        from {{ ref('int_township_codes_resolved') }} as now
        full outer join {{ cohort_coverage_townships_table() }} as before
            on now.township_code = before.township_code
        where now.resolved_township_code is distinct from before.resolved_township_code

    ),

    schedule_ages as (

        select distinct make_interval(months => min_age_months, days => min_age_days) as age
        from {{ ref('ref_schedule_dose') }}

    ),

    changed as (

        -- rows the builds of fct_child_scheduled_doses since the last build replaced
        select recipient_id
        from {{ chain_changes_table(child_doses) }}
        union all
        -- register changes loaded since, and the versions they replaced
        select recipient_id
        from {{ ref('stg_ops__register_change') }}
        where _load_id > (select read_up_to from follow)
        union all
        select recipient_id
        from {{ source('ops', 'register_change') }}
        where _superseded_load_id > (select read_up_to from follow)
            and _load_id <= (select read_up_to from follow)
        union all
        -- what T passed since the last build's T: register changes, records created, births, due dates, doses
        select recipient_id
        from {{ ref('stg_ops__register_change') }}
        where changed_at >= (select since from follow) + 1
            and changed_at < {{ today }} + 1
        union all
        select recipient_id
        from {{ ref('dim_recipients') }}
        where created_at >= (select since from follow) + 1
            and created_at < {{ today }} + 1
        union all
        select recipient_id
        from {{ child_doses }}
        where birth_date > (select since from follow)
            and birth_date <= {{ today }}
        union all
        -- a due date is the birth date plus an age: the births of each age's window, read by index
        select due.recipient_id
        from schedule_ages as ages
        cross join lateral (
            select child_doses.recipient_id
            from {{ child_doses }} as child_doses
            where child_doses.birth_date between ((select since from follow) + 1 - ages.age)::date - 4
                    and ({{ today }} - ages.age)::date + 4
                and child_doses.due_date > (select since from follow)
                and child_doses.due_date <= {{ today }}
        ) as due
        union all
        select recipient_id
        from {{ ref('int_vaccinations') }}
        where vaccination_date > (select since from follow)
            and vaccination_date <= {{ today }}
        union all
        -- children of a township code resolved otherwise now
        select recipient_id
        from {{ ref('dim_recipients') }}
        where exists (select 1 from changed_townships)
            and exists (select 1 from follow)
            and residence_township_code in (select township_code from changed_townships)

    )

    select distinct recipient_id
    from changed;
    analyze {{ cohort_coverage_recipients_table() }};
    create temporary table {{ cohort_coverage_members_now_table() }} on commit drop as
    {{ cohort_coverage_members(cohort_coverage_recipients_table()) }};
    analyze {{ cohort_coverage_members_now_table() }};
    create temporary table {{ cells_table() }} on commit drop as
    with members_before as (

        select members.*
        from {{ cohort_coverage_members_table() }} as members
        inner join {{ cohort_coverage_recipients_table() }} as changed
            on members.recipient_id = changed.recipient_id

    ),

    previous_rows as (

        select * from {{ chain_changes_table(child_doses) }}

    ),

    difference as (

        {%- set before = '(select previous_evaluation_date from ' ~ chain_follower_table() ~ ')' %}
        {{ cohort_coverage_cells(
            cohort_coverage_rows(cohort_coverage_members_now_table(), child_doses, today)
            ~ ' union all ' ~ cohort_coverage_rows('members_before', child_doses, before, '-1')
            ~ ' union all ' ~ cohort_coverage_rows('members_before', 'previous_rows', before, 'child_doses.sign')
        ) }}

    )

    {{ cells_plus_difference(
        ['birth_year', 'township_code', 'category_code', 'category_name', 'dose_no', 'children', 'due_children',
         'vaccinated', 'timely_vaccinated'],
        ['children', 'due_children', 'vaccinated', 'timely_vaccinated'],
        cohort_coverage_cell_match('cells', 'difference'),
    ) }}
    {%- endif %}
{% endmacro %}


{#- Post-hook: the members and township resolutions this build counted with, for the next build. -#}
{% macro record_cohort_coverage_members() %}
    {%- if is_incremental() %}
    delete from {{ cohort_coverage_members_table() }}
    where (select is_everything from {{ chain_follower_table() }});
    delete from {{ cohort_coverage_members_table() }} as members
    using {{ cohort_coverage_recipients_table() }} as changed
    where members.recipient_id = changed.recipient_id;
    insert into {{ cohort_coverage_members_table() }}
    select * from {{ cohort_coverage_members_now_table() }};
    insert into {{ cohort_coverage_members_table() }}
    select * from ({{ cohort_coverage_members() }}) as members
    where (select is_everything from {{ chain_follower_table() }});
    delete from {{ cohort_coverage_townships_table() }};
    {%- else %}
    drop table if exists {{ cohort_coverage_members_table() }};
    create table {{ cohort_coverage_members_table() }} as
    {{ cohort_coverage_members() }};
    create unique index on {{ cohort_coverage_members_table() }} (recipient_id);
    drop table if exists {{ cohort_coverage_townships_table() }};
    create table {{ cohort_coverage_townships_table() }} (township_code text, resolved_township_code text);
    {%- endif %}
    insert into {{ cohort_coverage_townships_table() }}
    select township_code, resolved_township_code
    from {{ ref('int_township_codes_resolved') }};
    analyze {{ cohort_coverage_members_table() }};
{% endmacro %}
