{{ recipient_chain_config("recipients=ref('stg_ops__recipient'), corrections_of='recipient'") }}
-- Recipients (latest version) with the active curated corrections applied (批量修复).
-- Incremental by recipient (macro recipient_chain_config): the recipients changed or corrected since the
-- last build are re-derived.
with recipients as (

    select * from {{ ref('stg_ops__recipient') }}
    where {{ is_changed_recipient('recipient_id') }}

),

fixes as (

    {{ pivot_corrections(
        'recipient',
        var('correctable_columns')['recipient'],
        keys='select recipient_id::text from ' ~ changed_recipients_table() if is_incremental() else none,
    ) }}

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
        recipients._loaded_at,
        greatest(recipients._load_id, fixes.last_change_id) as _derived_load_id
    from recipients
    left join fixes
        on recipients.recipient_id::text = fixes.row_key

)

select * from final
