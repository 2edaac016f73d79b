-- Every township code ever seen (region table and change history) resolved to its successor as of
-- the evaluation date: follow old_code -> new_code for changes effective on or before T.
-- A split (one old code, several new codes at once) goes to the first successor (lowest change_id)
-- and is flagged.
with recursive regions as (

    select * from {{ ref('stg_ops__region') }}

),

township_changes as (

    select * from {{ ref('stg_ops__township_change') }}

),

effective_changes as (

    select
        change_id,
        old_code,
        new_code,
        change_type,
        effective_date
    from township_changes
    where effective_date <= {{ evaluation_date() }}
        and old_code <> new_code

),

successor_candidates as (

    select
        effective_changes.*,
        count(*) over (
            partition by effective_changes.old_code, effective_changes.effective_date
        ) as successor_count,
        row_number() over (
            partition by effective_changes.old_code
            order by effective_changes.effective_date asc, effective_changes.change_id asc
        ) as successor_rank
    from effective_changes

),

successors as (

    select
        old_code,
        new_code,
        effective_date,
        successor_count > 1 as is_split
    from successor_candidates
    where successor_rank = 1

),

start_codes as (

    select region_code as township_code
    from regions
    where region_level = 4

    union

    select old_code as township_code
    from effective_changes

    union

    select new_code as township_code
    from effective_changes

),

code_chain as (

    select
        start_codes.township_code::text as township_code,
        start_codes.township_code::text as current_code,
        0 as chain_length,
        array[start_codes.township_code::text] as chain_path,
        false as has_split,
        null::date as last_effective_date
    from start_codes

    union all

    select
        code_chain.township_code,
        successors.new_code::text as current_code,
        code_chain.chain_length + 1 as chain_length,
        code_chain.chain_path || successors.new_code::text as chain_path,
        code_chain.has_split or successors.is_split as has_split,
        successors.effective_date as last_effective_date
    from code_chain
    inner join successors
        on code_chain.current_code = successors.old_code
    where not successors.new_code::text = any(code_chain.chain_path)
        and code_chain.chain_length < 50

),

chain_ends as (

    select
        township_code,
        current_code,
        chain_length,
        chain_path,
        has_split,
        last_effective_date,
        row_number() over (
            partition by township_code
            order by chain_length desc
        ) as end_rank
    from code_chain

),

final as (

    select
        chain_ends.township_code,
        chain_ends.current_code as resolved_township_code,
        chain_ends.chain_length,
        array_to_string(chain_ends.chain_path, ' > ') as resolution_path,
        chain_ends.last_effective_date as resolved_effective_date,
        chain_ends.chain_length > 0 as is_changed,
        chain_ends.has_split as is_split_resolved,
        resolved_regions.region_code is not null as is_resolved_code_known
    from chain_ends
    left join regions as resolved_regions
        on chain_ends.current_code = resolved_regions.region_code
    where chain_ends.end_rank = 1

)

select * from final
