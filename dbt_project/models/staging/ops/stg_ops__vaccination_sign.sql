with source as (

    {{ current_rows(source('ops', 'vaccination_sign')) }}

),

final as (

    select
        sign_id,
        vaccination_id,
        signed_at,
        signer_type,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
