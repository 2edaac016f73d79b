-- Recipients (latest version) with the active curated corrections applied (批量修复).
with recipients as (

    select * from {{ ref('stg_ops__recipient') }}

),

fixes as (

    {{ pivot_corrections('recipient', var('correctable_columns')['recipient']) }}

),

final as (

    select
        recipients.recipient_id,
        {{ corrected('recipients', 'recipient_name', 'varchar(50)') }},
        {{ corrected('recipients', 'sex', 'varchar(1)') }},
        recipients.birth_at,
        recipients.birth_weight,
        {{ corrected('recipients', 'id_number', 'varchar(18)') }},
        {{ corrected('recipients', 'mother_name', 'varchar(50)') }},
        recipients.mother_hbsag,
        {{ corrected('recipients', 'household_township_code', 'varchar(12)') }},
        {{ corrected('recipients', 'residence_township_code', 'varchar(12)') }},
        recipients.is_local,
        recipients.managing_unit_id,
        recipients.register_status,
        recipients.is_deleted,
        recipients.created_at,
        recipients.updated_at,
        coalesce(fixes.corrections, 0) as corrections_applied,
        recipients._load_id,
        recipients._loaded_at
    from recipients
    left join fixes
        on recipients.recipient_id::text = fixes.row_key

)

select * from final
