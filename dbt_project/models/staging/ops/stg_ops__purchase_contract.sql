with source as (

    select * from {{ source('ops', 'purchase_contract') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by contract_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        contract_id,
        contract_no,
        contract_year,
        spec_id,
        contracted_quantity,
        unit_price,
        signed_date,
        due_date,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
