-- One row per current staff record: is the ID number (the person's key, item 28) filed earlier
-- under another staff record?
with staff as (

    select * from {{ ref('stg_ops__staff') }}
    where not is_deleted

),

ordered as (

    select
        staff.*,
        row_number() over (order by staff.created_at asc, staff.staff_id asc) as filing_order
    from staff

),

duplicates as (

    select
        later.staff_id,
        min(earlier.staff_id) as original_staff_id
    from ordered as later
    inner join ordered as earlier
        on later.id_number = earlier.id_number
            and later.filing_order > earlier.filing_order
    where later.id_number is not null
    group by later.staff_id

),

final as (

    select
        ordered.staff_id,
        ordered.unit_id,
        ordered.staff_name,
        ordered.id_number,
        duplicates.original_staff_id as duplicate_of_staff_id,
        ordered._load_id
    from ordered
    left join duplicates
        on ordered.staff_id = duplicates.staff_id

)

select * from final
