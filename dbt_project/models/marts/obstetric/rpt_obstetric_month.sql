-- 产科查询: newborns born and recorded by each obstetric unit in the month of the evaluation date T,
-- whether or not the record was already taken over by the clinic (recipient_id filled). Obstetric staff
-- query it filtered to their own unit_id.
with newborns as (

    select * from {{ ref('fct_newborns') }}

),

final as (

    select
        newborn_id,
        unit_id,
        unit_name,
        unit_county_code,
        newborn_name,
        sex,
        birth_at,
        birth_date,
        birth_weight,
        mother_name,
        mother_hbsag,
        is_hepb1_given,
        hepb1_at,
        is_bcg_given,
        bcg_at,
        is_hbig_given,
        hbig_at,
        recipient_id,
        recipient_id is not null as is_taken_over_by_clinic,
        managing_unit_id,
        created_at
    from newborns
    where
        date_trunc('month', birth_date) = date_trunc('month', {{ evaluation_date() }})
        and date_trunc('month', created_date) = date_trunc('month', {{ evaluation_date() }})

)

select * from final
