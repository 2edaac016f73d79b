{#
    The current version of every row of a raw landing table. raw keeps every version that was loaded (one
    _load_id per batch); the loader marks, in each load's transaction, the current one of each key
    (raw.<table>._is_current: the highest updated_at, then _load_id, a null updated_at sorting first;
    vaxdw/extract_load/current.py), and a partial unique index on the key among current rows (with the other
    indexes the warehouse reads current rows by: the contract's current_indexes) serves the staging views.
    So staging holds no copy of the source and a build never ranks versions: a model reading the day's
    changes selects the current rows whose _load_id is above what it has read (raw's BRIN index on _load_id).
#}
{% macro current_rows(relation) %}
    select *
    from {{ relation }}
    where _is_current
{% endmacro %}
