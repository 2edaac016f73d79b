{#
    The latest version of every row of an append-only raw table: raw keeps every version that was
    loaded (one _load_id per batch); staging reads the one with the highest updated_at, then _load_id.
#}
{% macro latest_version(relation, key) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by updated_at desc, _load_id desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{% endmacro %}
