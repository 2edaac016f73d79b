-- 产科新生儿档案 (fact): one row per obstetric newborn record (not deleted), placed at its obstetric
-- unit's regions (unit_ prefix) and matched to the child's clinic card when recipient_id is filled.
with newborns as (

    select * from {{ ref('stg_ops__newborn') }}
    where not is_deleted

),

units as (

    select * from {{ ref('dim_unit') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

final as (

    select
        newborns.newborn_id,
        newborns.obstetric_unit_id as unit_id,
        units.unit_name,
        {{ unit_region_columns('units') }},
        newborns.newborn_name,
        newborns.sex,
        newborns.birth_at,
        newborns.birth_at::date as birth_date,
        newborns.birth_weight,
        newborns.mother_name,
        newborns.mother_id_number,
        newborns.mother_hbsag,
        newborns.is_hepb1_given,
        newborns.hepb1_at,
        newborns.hepb1_reason,
        newborns.is_bcg_given,
        newborns.bcg_at,
        newborns.bcg_reason,
        newborns.is_hbig_given,
        newborns.hbig_at,
        newborns.household_township_code,
        newborns.residence_township_code,
        newborns.recipient_id,
        recipients.managing_unit_id,
        recipients.register_status,
        recipients.register_group,
        newborns.created_at,
        newborns.created_at::date as created_date,
        newborns.updated_at,
        newborns._load_id
    from newborns
    left join units
        on newborns.obstetric_unit_id = units.unit_id
    left join recipients
        on newborns.recipient_id = recipients.recipient_id

)

select * from final
