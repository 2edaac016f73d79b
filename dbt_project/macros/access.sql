{#- Access model in PostgreSQL (docs/access.md). The scope rows in access.user_scope are written by
    `vaxdw access sync` from config/access.yaml; these macros create the table and put row-level
    security on every scoped mart. -#}

{#- on-run-start: the scope table (each login sees only its own rows) and the reader group role. -#}
{% macro access_bootstrap() -%}
do $access$
begin
    if not exists (select 1 from pg_roles where rolname = 'vaxdw_reader') then
        create role vaxdw_reader nologin;
    end if;
end
$access$;
create schema if not exists access;
create schema if not exists marts;
create table if not exists access.user_scope (
    user_name text not null,
    role_name text not null,
    scope_region_prefix text not null,
    scope_vaccine_code text not null,
    primary key (user_name, role_name, scope_region_prefix, scope_vaccine_code)
);
alter table access.user_scope enable row level security;
drop policy if exists own_rows on access.user_scope;
create policy own_rows on access.user_scope for select to public using (user_name = current_user);
grant usage on schema access to vaxdw_reader;
grant select on access.user_scope to vaxdw_reader;
grant usage on schema marts to vaxdw_reader;
{%- endmacro %}

{#- The scope condition of a row for the current login: some scope row of current_user matches its region
    (region_column holds the row's most specific region code, prefix-matched, so descendants count) and its
    4-digit vaccine code in vaccine_column ('*' scope = all vaccines, 2-digit scope = a category). -#}
{% macro access_scope_condition(region_column='region_code', vaccine_column='vaccine_code') -%}
    exists (
        select 1
        from access.user_scope as scope
        where
            scope.user_name = current_user
            and {{ region_column }} like scope.scope_region_prefix || '%'
            and (
                scope.scope_vaccine_code = '*'
                or scope.scope_vaccine_code = {{ vaccine_column }}
                or scope.scope_vaccine_code = left({{ vaccine_column }}, 2)
            )
    )
{%- endmacro %}

{#- post-hook of a scoped mart table: rows are visible to a login only inside its region and vaccine scope. -#}
{% macro access_scoped(region_column='region_code', vaccine_column='vaccine_code', relation=none) -%}
{%- set target_relation = relation or this -%}
alter table {{ target_relation }} enable row level security;
drop policy if exists access_scope on {{ target_relation }};
create policy access_scope on {{ target_relation }} for select to public using (
    {{ access_scope_condition(region_column, vaccine_column) }}
);
grant select on {{ target_relation }} to vaxdw_reader;
{%- endmacro %}

{#- A scoped mart that is a view (a thin layer over narrow tables, docs/scaling.md): PostgreSQL puts
    row-level security on tables only, and a view reads its tables with its owner's rights, so the view
    filters itself with the same condition, in its where clause (access_scoped_view_filter), for the same
    logins: the view's owner (the pipeline's user, as the tables' owner), superusers and BYPASSRLS roles
    see every row, as row-level security lets them. current_user is the login inside a view too.
    security_barrier keeps a login's own functions from seeing rows before the filter. -#}
{% macro access_scoped_view_filter(region_column='region_code', vaccine_column='vaccine_code') -%}
    (
        (select rolsuper or rolbypassrls from pg_catalog.pg_roles where rolname = current_user)
        or current_user = (
            select pg_catalog.pg_get_userbyid(relowner)
            from pg_catalog.pg_class
            where oid = pg_catalog.to_regclass('{{ this.schema }}.{{ this.identifier }}')
        )
        or {{ access_scope_condition(region_column, vaccine_column) }}
    )
{%- endmacro %}

{#- post-hook of a scoped mart view (the filter is in its body: access_scoped_view_filter). -#}
{% macro access_scoped_view() -%}
alter view {{ this }} set (security_barrier = true);
grant select on {{ this }} to vaxdw_reader;
{%- endmacro %}

{#- post-hook of an unscoped mart that every reader may see (dimensions without sensitive rows). -#}
{% macro access_public() -%}
grant select on {{ this }} to vaxdw_reader;
{%- endmacro %}

{#- `dbt run-operation` entry points (a macro called that way must execute its SQL itself). -#}
{% macro access_bootstrap_operation() -%}
    {%- do run_query(access_bootstrap()) -%}
{%- endmacro %}

{% macro access_scoped_operation(relation, region_column='region_code', vaccine_column='vaccine_code') -%}
    {%- do run_query(access_scoped(region_column, vaccine_column, relation)) -%}
{%- endmacro %}

{#- A unit's most specific current region code, the column scoped marts filter on (docs/access.md):
    township, else county, else city (city CDCs), else province (the provincial CDC). -#}
{% macro unit_region_code(units) -%}
    coalesce({{ units }}.township_code, {{ units }}.county_code, {{ units }}.city_code, {{ units }}.province_code)
{%- endmacro %}
