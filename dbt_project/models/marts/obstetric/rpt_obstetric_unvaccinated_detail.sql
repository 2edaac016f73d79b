{{ config(indexes=[{'columns': ['birth_date']}, {'columns': ['unit_id']}]) }}
-- 产科未种原因 明细: one row per newborn and birth dose (HepB1, BCG) not given at birth, with the recorded
-- reason (null = 未填写), placed at the obstetric unit (unit_ prefix).
with newborns as (

    select * from {{ ref('fct_newborns') }}

),

reasons as (

    select * from {{ ref('ref_unvaccinated_reason') }}

),

missed as (

    select
        newborns.*,
        'HepB1' as birth_dose,
        newborns.hepb1_reason as unvaccinated_reason
    from newborns
    where not newborns.is_hepb1_given
    union all
    select
        newborns.*,
        'BCG' as birth_dose,
        newborns.bcg_reason as unvaccinated_reason
    from newborns
    where not newborns.is_bcg_given

),

final as (

    select
        missed.newborn_id::text || '-' || missed.birth_dose as missed_key,
        missed.newborn_id,
        missed.birth_dose,
        case missed.birth_dose when 'HepB1' then '乙肝疫苗第1剂' else '卡介苗' end as birth_dose_name,
        coalesce(missed.unvaccinated_reason, '00') as unvaccinated_reason,
        coalesce(reasons.unvaccinated_reason_name, '未填写') as unvaccinated_reason_name,
        missed.unit_id,
        missed.unit_name,
        missed.unit_township_code,
        missed.unit_township_name,
        missed.unit_county_code,
        missed.unit_county_name,
        missed.unit_city_code,
        missed.unit_city_name,
        missed.unit_province_code,
        missed.unit_province_name,
        missed.newborn_name,
        missed.sex,
        missed.birth_at,
        missed.birth_date,
        missed.birth_weight,
        missed.mother_name,
        missed.mother_id_number,
        missed.mother_hbsag,
        missed.recipient_id,
        missed.created_at
    from missed
    left join reasons
        on missed.unvaccinated_reason = reasons.unvaccinated_reason

)

select * from final
