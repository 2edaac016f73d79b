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

{#- post-hook of a scoped mart: rows are visible to a login only inside its region and vaccine scope.
    region_column holds the row's most specific region code (prefix-matched, so descendants count);
    vaccine_column its 4-digit vaccine code ('*' scope = all vaccines, 2-digit scope = a category). -#}
{% macro access_scoped(region_column='region_code', vaccine_column='vaccine_code', relation=none) -%}
{%- set target_relation = relation or this -%}
alter table {{ target_relation }} enable row level security;
drop policy if exists access_scope on {{ target_relation }};
create policy access_scope on {{ target_relation }} for select to public using (
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
);
grant select on {{ target_relation }} to vaxdw_reader;
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
