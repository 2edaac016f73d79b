-- Township code resolution for any date (DOMAIN §8.6): for every township code ever seen, each step
-- of its merge / rename chain (old_code -> new_code, the first successor by effective date and change
-- id; a split goes to that successor and is flagged) with the date the step is reached (the latest
-- effective date along the chain so far). The code in force on date D is the resolved_code of the
-- highest step whose reached_on <= D (step 0, reached_on null, is the code itself).
with recursive regions as (

    select * from {{ ref('stg_ops__region') }}

),

township_changes as (

    select * from {{ ref('stg_ops__township_change') }}
    where old_code <> new_code

),

successor_candidates as (

    select
        township_changes.*,
        count(*) over (
            partition by township_changes.old_code, township_changes.effective_date
        ) as successor_count,
        row_number() over (
            partition by township_changes.old_code
            order by township_changes.effective_date asc, township_changes.change_id asc
        ) as successor_rank
    from township_changes

),

successors as (

    select
        old_code::text as old_code,
        new_code::text as new_code,
        effective_date,
        successor_count > 1 as is_split
    from successor_candidates
    where successor_rank = 1

),

start_codes as (

    select region_code::text as township_code
    from regions
    where region_level = 4

    union

    select old_code as township_code
    from successors

    union

    select new_code as township_code
    from successors

),

code_chain as (

    select
        start_codes.township_code,
        0 as step_no,
        start_codes.township_code as resolved_code,
        null::date as reached_on,
        array[start_codes.township_code] as chain_path,
        false as is_split
    from start_codes

    union all

    select
        code_chain.township_code,
        code_chain.step_no + 1 as step_no,
        successors.new_code as resolved_code,
        greatest(code_chain.reached_on, successors.effective_date) as reached_on,
        code_chain.chain_path || successors.new_code as chain_path,
        code_chain.is_split or successors.is_split as is_split
    from code_chain
    inner join successors
        on code_chain.resolved_code = successors.old_code
    where not successors.new_code = any(code_chain.chain_path)
        and code_chain.step_no < 50

),

final as (

    select
        {{ surrogate_key(['township_code', 'step_no']) }} as township_step_id,
        township_code,
        step_no,
        resolved_code,
        reached_on,
        is_split
    from code_chain

)

select * from final
