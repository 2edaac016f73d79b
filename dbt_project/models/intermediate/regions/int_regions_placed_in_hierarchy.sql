-- Each region code (current and historical) with its ancestors by level: province, city, county,
-- township. Walks up to three parents, taking each ancestor by its level so a missing level
-- does not shift the others.
{%- set levels = [(1, 'province'), (2, 'city'), (3, 'county'), (4, 'township')] %}

with regions as (

    select * from {{ ref('stg_ops__region') }}

),

browse_levels as (

    select * from {{ ref('ref_browse_level') }}

),

resolved_townships as (

    select * from {{ ref('int_township_codes_resolved') }}

),

with_ancestors as (

    select
        regions.region_code,
        regions.region_name,
        regions.region_level,
        regions.parent_code,
        regions.valid_from,
        regions.valid_to,
        regions._load_id,
        parent_1.region_code as parent_1_code,
        parent_1.region_name as parent_1_name,
        parent_1.region_level as parent_1_level,
        parent_2.region_code as parent_2_code,
        parent_2.region_name as parent_2_name,
        parent_2.region_level as parent_2_level,
        parent_3.region_code as parent_3_code,
        parent_3.region_name as parent_3_name,
        parent_3.region_level as parent_3_level
    from regions
    left join regions as parent_1
        on regions.parent_code = parent_1.region_code
    left join regions as parent_2
        on parent_1.parent_code = parent_2.region_code
    left join regions as parent_3
        on parent_2.parent_code = parent_3.region_code

),

placed as (

    select
        with_ancestors.region_code,
        with_ancestors.region_name,
        with_ancestors.region_level,
        with_ancestors.parent_code,
        with_ancestors.valid_from,
        with_ancestors.valid_to,
        with_ancestors._load_id,
        {%- for level_rank, level in levels %}
            {%- for attribute in ['code', 'name'] %}
                case
                    when with_ancestors.region_level = {{ level_rank }}
                        then with_ancestors.region_{{ attribute }}
                    {%- for depth in [1, 2, 3] %}
                        when with_ancestors.parent_{{ depth }}_level = {{ level_rank }}
                            then with_ancestors.parent_{{ depth }}_{{ attribute }}
                    {%- endfor %}
                end as {{ level }}_{{ attribute }},
            {%- endfor %}
        {%- endfor %}
        (
            (with_ancestors.valid_from is null or with_ancestors.valid_from <= {{ evaluation_date() }})
            and (with_ancestors.valid_to is null or with_ancestors.valid_to > {{ evaluation_date() }})
        ) as is_current
    from with_ancestors

),

final as (

    select
        placed.region_code,
        placed.region_name,
        placed.region_level,
        browse_levels.browse_level,
        browse_levels.browse_level_name,
        placed.parent_code,
        placed.valid_from,
        placed.valid_to,
        placed.is_current,
        placed.province_code,
        placed.province_name,
        placed.city_code,
        placed.city_name,
        placed.county_code,
        placed.county_name,
        placed.township_code,
        placed.township_name,
        coalesce(resolved_townships.resolved_township_code, placed.region_code) as current_region_code,
        coalesce(resolved_townships.is_split_resolved, false) as is_split_resolved,
        placed._load_id
    from placed
    left join browse_levels
        on placed.region_level = browse_levels.level_rank
    left join resolved_townships
        on placed.region_code = resolved_townships.township_code
            and placed.region_level = 4

)

select * from final
