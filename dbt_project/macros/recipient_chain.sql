{#
    The dose chain, incremental by recipient (docs/scaling.md, "Incremental builds"): a changed recipient,
    any change of one of its doses (a moved dose: its old and its new child) or of their corrections
    re-derives all the recipient's rows, since dose numbers and intervals run per child and vaccine category.

    Every model of the chain keeps _derived_load_id: the greatest load id of what its row was derived from
    (the source versions' _load_id, the change_id of the corrections touching them; corrections draw their
    change_id from the same sequence under the same lock as the loads, vaxdw.repair.service). Its watermark
    is the highest _derived_load_id it holds: every load or correction change with a lower id had committed
    before the build that derived that row (ids grow in commit order, and a build holds the load lock), so
    what the next build must re-derive is what changed above the watermark.

    A build of a chain model (strategy append): the pre-hook (replace_changed_recipients) stores the changed
    recipients in a temporary table, reading the watermark before anything is deleted, then deletes their
    rows; the model body, restricted to those recipients (is_changed_recipient), inserts them again. A child
    whose doses were all deleted or moved away is deleted and gets no row back (delete+insert on a unique key
    would keep its old rows). Hooks and body run on one connection in one transaction (dbt's incremental
    materialization commits once, after the insert); the table is dropped on commit.
    A full build (--full-refresh, or the first) reads everything; the hook does nothing.
#}

{#- The temporary table of the recipients this build re-derives. -#}
{% macro changed_recipients_table() -%}
    {{ this.identifier }}__changed_recipients
{%- endmacro %}


{#- Config of a chain model; changes: the arguments of changed_recipients (a Jinja argument list, rendered
    by the pre-hook at run time); dose_grain: one row per dose (unique vaccination_id) rather than per
    recipient; unique_key: another unique row key (one row per recipient and something else); indexes:
    further indexes (with dose_grain or unique_key); log_changes: write what each build replaced to the chain's change log, for
    the aggregates that follow the model by difference (chain_log.sql). -#}
{% macro recipient_chain_config(changes, dose_grain=false, unique_key=none, indexes=[], log_changes=false) %}
    {%- if dose_grain %}
        {%- set all_indexes = [
            {'columns': ['vaccination_id'], 'unique': True},
            {'columns': ['recipient_id']},
            {'columns': ['_derived_load_id']},
        ] + indexes %}
    {%- elif unique_key is not none %}
        {%- set all_indexes = [
            {'columns': [unique_key], 'unique': True},
            {'columns': ['recipient_id']},
            {'columns': ['_derived_load_id']},
        ] + indexes %}
    {%- else %}
        {%- set all_indexes = [{'columns': ['recipient_id'], 'unique': True}, {'columns': ['_derived_load_id']}] %}
    {%- endif %}
    {%- set pre_hook = '{{ replace_changed_recipients(' ~ changes ~ (', log_changes=true' if log_changes else '') ~ ') }}' %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=all_indexes,
        pre_hook=pre_hook,
        post_hook=(['{{ record_chain_changes(after=true) }}'] if log_changes else []) + ['{{ analyze_table() }}'],
    ) }}
{% endmacro %}


{#- The recipients whose rows of {{ this }} changed since its watermark. Each argument names an input:
    - recipients: a recipient-grain relation (recipient_id), its rows above the watermark;
    - doses: a dose-grain relation (vaccination_id, recipient_id), its rows above the watermark (deleted
      doses too: staging keeps them), and each such dose's previous owner in {{ this }} (a moved dose);
    - corrections_of: 'recipient' or 'vaccination', the corrections of that table changed above the
      watermark (a vaccination's through its dose in doses);
    - vaccines: stg_ops__vaccine, a vaccine changed above the watermark (its category decides the dose
      numbering): every recipient with a dose of it;
    - lineage: the column of recipients and doses compared with the watermark (_load_id of staging,
      _derived_load_id of a chain model). -#}
{% macro changed_recipients(recipients=none, doses=none, corrections_of=none, vaccines=none,
                            lineage='_load_id') %}
    {%- set branches = [] %}
    {%- if recipients is not none %}
        {%- do branches.append("select recipient_id from " ~ recipients ~ " where " ~ lineage ~ " > "
            ~ "(select load_id from watermark)") %}
    {%- endif %}
    {%- if corrections_of == 'recipient' %}
        {%- do branches.append("select row_key::bigint from changed_corrections") %}
    {%- endif %}
    {%- if doses is not none %}
        {%- do branches.append("select recipient_id from changed_doses") %}
        {%- do branches.append("select previous_owners.recipient_id from " ~ this ~ " as previous_owners "
            ~ "where previous_owners.vaccination_id in (select vaccination_id from changed_doses)") %}
    {%- endif %}
    {%- if vaccines is not none %}
        {%- do branches.append("select recipient_id from " ~ doses ~ " where vaccine_code in "
            ~ "(select vaccine_code from changed_vaccines) and exists (select 1 from changed_vaccines)") %}
    {%- endif %}
    with watermark as (

        select coalesce(max(_derived_load_id), 0) as load_id from {{ this }}

    ),

    {%- if corrections_of is not none %}

    changed_corrections as (

        select row_key
        from {{ source('curated', 'correction') }}
        where table_name = '{{ corrections_of }}'
            and change_id > (select load_id from watermark)
            and row_key ~ '^[0-9]{1,18}$'

    ),
    {%- endif %}

    {%- if doses is not none %}

    changed_doses as (

        select vaccination_id, recipient_id
        from {{ doses }}
        where {{ lineage }} > (select load_id from watermark)
        {%- if corrections_of == 'vaccination' %}
        union all
        select corrected_doses.vaccination_id, corrected_doses.recipient_id
        from {{ doses }} as corrected_doses
        inner join changed_corrections
            on corrected_doses.vaccination_id = changed_corrections.row_key::bigint
        {%- endif %}

    ),
    {%- endif %}

    {%- if vaccines is not none %}

    changed_vaccines as (

        select vaccine_code from {{ vaccines }} where _load_id > (select load_id from watermark)

    ),
    {%- endif %}

    changed as (

        {{ branches | join("\n        union all\n        ") }}

    )

    select distinct recipient_id from changed
{% endmacro %}


{#- Pre-hook of a chain model: on an incremental build, the changed recipients (read before the delete),
    then their rows deleted (logged first, with log_changes); the body inserts them again. Nothing on a full
    build but the log's header. -#}
{% macro replace_changed_recipients(recipients=none, doses=none, corrections_of=none, vaccines=none,
                                    lineage='_load_id', log_changes=false) %}
    {%- if is_incremental() %}
    create temporary table {{ changed_recipients_table() }} on commit drop as
    {{ changed_recipients(recipients, doses, corrections_of, vaccines, lineage) }};
    analyze {{ changed_recipients_table() }};
    {%- endif %}
    {%- if log_changes %}
    {{ record_chain_changes(after=false) }}
    {%- endif %}
    {%- if is_incremental() %}
    delete from {{ this }}
    where recipient_id in (select recipient_id from {{ changed_recipients_table() }});
    {%- endif %}
{% endmacro %}


{#- In a chain model's body: true for the recipients this build re-derives (every one on a full build). -#}
{% macro is_changed_recipient(column) -%}
    {%- if is_incremental() -%}
        {{ column }} in (select recipient_id from {{ changed_recipients_table() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- In a chain model's body: the current recipients (not deleted, register status 5 删除 excluded, as
    dim_recipients) that this build re-derives. -#}
{% macro changed_current_recipients() %}
    select * from {{ ref('int_recipients_corrected') }}
    where not is_deleted
        and coalesce(register_status <> 5, true)
        and {{ is_changed_recipient('recipient_id') }}
{% endmacro %}
