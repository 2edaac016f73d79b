{#
    Models of the doses by vaccination date and unit (实种, 实种及时, 留观 and 签核 cells and details) that follow
    the change logs of the models they read (chain_log.sql; docs/scaling.md, "Incremental builds").

    A row keyed by (vaccination_date, unit_id, …) depends on the doses, visits, observations, registrations
    and sign-offs of that date and unit only. A build re-derives every row of the (vaccination date, unit)
    pairs that changed since its last one, old and new:
    - follows: the logged models it reads (int_vaccinations, or a follower that logs its own changes): the
      pairs of the rows their builds replaced, keeping those that really changed (a row deleted and inserted
      again unchanged, e.g. the other doses of a child whose ID number was fixed, cancels out);
    - sources: staging tables it reads, each {'model'} with the place of a row either in columns 'date' and
      'unit', or through its dose ('dose': the vaccination_id column; the dose's date and unit): the rows
      loaded since the build before (their _load_id above the highest the follower has read), at their new
      place, and at the place of the version each replaced (the row moved or went): raw keeps that version
      with the load that superseded it (vaxdw/extract_load/current.py), read by index, never by a scan of
      this model.
    The day's changes touch the day's and a few late-entered dates, and the dates of the old records
    corrected that day. Everything is computed again after a full build of a followed model, or when the
    follower missed builds a log no longer holds. Such models hold no names or regions: those follow the
    evaluation date and are joined by the views over them. With log_changes, a follower logs what it
    replaced, for the models that follow it.
#}

{% macro dose_days_table() -%}
    {{ this.identifier }}__dose_days
{%- endmacro %}

{#- Config of a follower; key: its unique row key (a unique index). -#}
{% macro dose_day_follower_config(key, follows=['int_vaccinations'], sources=[], log_changes=false, indexes=[]) %}
    {%- set arguments = follows ~ ', ' ~ sources ~ ', ' ~ log_changes %}
    {%- set post_hooks = ['{{ record_chain_follower_state_of(' ~ follows ~ ', ' ~ sources ~ ') }}', '{{ analyze_table() }}'] %}
    {%- if log_changes %}
        {%- do post_hooks.append('{{ record_chain_changes(after=true, replaced=in_changed_dose_day("rows"), '
            ~ 'is_full=is_following_everything()) }}') %}
    {%- endif %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': key, 'unique': True}] + indexes,
        pre_hook='{{ replace_changed_dose_days(' ~ arguments ~ ') }}',
        post_hook=post_hooks,
    ) }}
{% endmacro %}

{% macro record_chain_follower_state_of(follows, sources) %}
    {%- set models = [] %}
    {%- for name in follows %}{% do models.append(ref(name)) %}{% endfor %}
    {{ record_chain_follower_state(models, sources=sources) }}
{% endmacro %}

{#- A row (alias rows) of a pair this build re-derives (an incremental build that does not compute everything). -#}
{% macro in_changed_dose_day(rows) -%}
    exists (
        select 1 from {{ dose_days_table() }} as days
        where days.vaccination_date = {{ rows }}.vaccination_date and days.unit_id = {{ rows }}.unit_id
    )
{%- endmacro %}

{#- Pre-hook: the (vaccination date, unit) pairs to re-derive into a temporary table, the rows replaced logged
    (log_changes), then deleted (every row when everything is computed again). -#}
{% macro replace_changed_dose_days(follows, sources, log_changes) %}
    {%- if is_incremental() %}
    {%- set models = [] %}
    {%- for name in follows %}{% do models.append(ref(name)) %}{% endfor %}
    {{ follow_chain_logs(models) }}
    create temporary table {{ dose_days_table() }} on commit drop as
    with
    {%- for model in models %}

    logged_{{ loop.index }} as (

        select
            changes.vaccination_date,
            changes.unit_id,
            to_jsonb(changes) - 'chain_build' - 'sign' - 'is_full' - '_load_id' - '_derived_load_id' as content,
            changes.sign
        from {{ chain_changes_table(model) }} as changes

    ),
    {%- endfor %}

    {%- for source in sources %}

    source_{{ loop.index }} as (

        select *
        from {{ ref(source.model) }}
        where _load_id > (select sources_load_id from {{ chain_follower_table() }})
            and not (select is_everything from {{ chain_follower_table() }})

    ),

    -- where the model holds what those rows replaced: the versions that were current when it last read
    -- the source and no longer are (raw's index on _superseded_load_id; a dose's place is its place now,
    -- or, if the dose moved too, its old place from the dose log)
    previous_{{ loop.index }} as (

        select *
        from {{ builtins.source(source.model.split('__')[0][4:], source.model.split('__')[1]) }}
        where _superseded_load_id > (select sources_load_id from {{ chain_follower_table() }})
            and _load_id <= (select sources_load_id from {{ chain_follower_table() }})
            and not (select is_everything from {{ chain_follower_table() }})

    ),
    {%- endfor %}

    changed as (

        {%- for model in models %}
        select vaccination_date, unit_id
        from logged_{{ loop.index }}
        group by vaccination_date, unit_id, content
        having sum(sign) <> 0
        union all
        {%- endfor %}
        {%- for source in sources %}
            {%- set index = loop.index %}
            {%- for rows in ['source_' ~ index, 'previous_' ~ index] %}
                {%- if source.dose is defined %}
        select doses.vaccination_date, doses.unit_id
        from {{ rows }} as changed_rows
        inner join {{ ref('int_vaccinations') }} as doses
            on changed_rows.{{ source.dose }} = doses.vaccination_id
                {%- else %}
        select {{ source.date }}, {{ source.unit }}
        from {{ rows }}
                {%- endif %}
        union all
            {%- endfor %}
        {%- endfor %}
        select null::date, null::text where false

    )

    select distinct vaccination_date, unit_id
    from changed
    where vaccination_date is not null and unit_id is not null;
    analyze {{ dose_days_table() }};
    {%- if log_changes %}
    {{ record_chain_changes(after=false, replaced=in_changed_dose_day('rows'), is_full=is_following_everything()) }}
    {%- endif %}
    delete from {{ this }}
    where (select is_everything from {{ chain_follower_table() }});
    delete from {{ this }} as cells
    using {{ dose_days_table() }} as days
    where cells.vaccination_date = days.vaccination_date
        and cells.unit_id = days.unit_id;
    {%- else %}
    {%- if log_changes %}
    {{ record_chain_changes(after=false) }}
    {%- endif %}
    {%- endif %}
{% endmacro %}

{#- In a follower's body: the rows of relation (with a date and a unit column) of the pairs to re-derive
    (every row when everything is computed again, and on a full build). Read pair by pair (a lateral
    subquery that the planner may not flatten: offset 0), so each pair is an index scan through the views
    over the stored rows, whatever their shape. -#}
{% macro changed_dose_day_rows(relation, date='vaccination_date', unit='unit_id') %}
    {%- if is_incremental() %}
    select rows.*
    from {{ relation }} as rows
    where {{ is_following_everything() }}
    union all
    select rows.*
    from {{ dose_days_table() }} as days
    cross join lateral (
        select *
        from {{ relation }} as pair_rows
        where pair_rows.{{ date }} = days.vaccination_date
            and pair_rows.{{ unit }} = days.unit_id
        offset 0
    ) as rows
    where not {{ is_following_everything() }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{% endmacro %}


{#- The columns of a vaccination visit (int_vaccination_visits, alias visits), as the visit details store them. -#}
{% macro visit_columns(visits) -%}
    {%- for column in ['recipient_id', 'unit_id', 'vaccination_date', 'doses', 'first_vaccinated_at',
                       'last_vaccinated_at', 'register_status', 'register_group'] %}
        {{ visits }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The key of a vaccination visit (recipient x unit x vaccination date) that the detail views show: computed as
    they are read (the stored models are keyed by a unique index on the three columns). -#}
{% macro visit_key(rows) -%}
    {{ surrogate_key([rows ~ '.recipient_id', rows ~ '.unit_id', rows ~ '.vaccination_date']) }}
{%- endmacro %}
