{{ current_state_config('sign_id', also_indexed=['vaccination_id']) }}
with source as (

    {{ current_version(source('ops', 'vaccination_sign'), 'sign_id') }}

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
