{{ recipient_chain_config(
    "doses=ref('stg_ops__vaccination'), corrections_of='vaccination'",
    dose_grain=true,
) }}
-- Doses (latest version) with the active curated corrections applied (批量修复).
-- Incremental by recipient (macro recipient_chain_config): every dose of a recipient one of whose doses
-- changed, moved or was corrected since the last build is re-derived.
with doses as (

    select * from {{ ref('stg_ops__vaccination') }}
    where {{ is_changed_recipient('recipient_id') }}

),

fixes as (

    {{ pivot_corrections(
        'vaccination',
        var('correctable_columns')['vaccination'],
        keys='select vaccination_id::text from doses' if is_incremental() else none,
    ) }}

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.vaccine_code,
        {{ corrected('doses', 'dose_no', 'smallint') }},
        doses.vaccinated_at,
        doses.unit_id,
        doses.vaccinator_id,
        {{ corrected('doses', 'manufacturer_code', 'varchar(10)') }},
        {{ corrected('doses', 'batch_no', 'varchar(30)') }},
        doses.expiry_date,
        {{ corrected('doses', 'site_code', 'varchar(2)') }},
        doses.route_code,
        doses.vacc_property,
        doses.is_free,
        doses.entered_at,
        doses.uploaded_at,
        doses.is_deleted,
        doses.created_at,
        doses.updated_at,
        coalesce(fixes.corrections, 0) as corrections_applied,
        doses._load_id,
        doses._loaded_at,
        greatest(doses._load_id, fixes.last_change_id) as _derived_load_id
    from doses
    left join fixes
        on doses.vaccination_id::text = fixes.row_key

)

select * from final
