{{ config(materialized='view') }}
-- WHO data-quality review: doses given vs vaccine used from stock (接种剂次与疫苗出库核对), per unit and
-- batch (vaccine + manufacturer + batch number). Reads the traceability mart rpt_stock_reconciliation,
-- which compares OUT_USE in 人份 (quantity × doses per unit) with the doses recorded with that batch and
-- classifies each pair (multi-dose vials: opened-vial wastage is not a mismatch); vaccines given outside
-- the child register are left out. Vaccines whose opened vials are discarded after the session (var
-- dq_session_discard_vaccine_codes, default BCG) are also reconciled per day: a day whose doses exceed
-- that day's OUT_USE in 人份 is a dose without stock movement, even when other days' open-vial wastage
-- makes the batch total look consistent: reconciliation_status 'doses_without_stock_movement' (what the
-- rule DOSES_VS_STOCK looks for; shortfall_sessions > 0 tells it from a batch-total shortfall).
-- Key: unit_id:vaccine_code:manufacturer_code:batch_no (the anomaly report takes the unit from the first
-- part).
-- A view: the batch totals are rpt_stock_reconciliation's, the days' doses are stored counts
-- (int_stock_session_doses) and the days' use is read from the ledger for those vaccines' batches only.
with reconciliation as (

    select * from {{ ref('rpt_stock_reconciliation') }}

),

session_pairs as (

    select
        on_hand.unit_id,
        on_hand.batch_id,
        batches.vaccine_code,
        batches.manufacturer_code,
        batches.batch_no
    from {{ ref('int_stock_on_hand') }} as on_hand
    inner join {{ ref('int_stock_batch_attributes') }} as batches
        on on_hand.batch_id = batches.batch_id
    where on_hand.use_quantity is not null
        and batches.vaccine_code in {{ sql_list(var('dq_session_discard_vaccine_codes')) }}

),

session_use as (

    select
        session_pairs.unit_id,
        session_pairs.vaccine_code,
        session_pairs.manufacturer_code,
        session_pairs.batch_no,
        ledger.doc_date as session_date,
        sum(ledger.dose_quantity) as dose_quantity
    from session_pairs
    inner join {{ ref('int_stock_ledger') }} as ledger
        on session_pairs.unit_id = ledger.unit_id and session_pairs.batch_id = ledger.batch_id
    where ledger.doc_type = 'OUT_USE'
    group by
        session_pairs.unit_id,
        session_pairs.vaccine_code,
        session_pairs.manufacturer_code,
        session_pairs.batch_no,
        ledger.doc_date

),

session_doses as (

    select * from {{ ref('int_stock_session_doses') }}

),

session_shortfall as (

    select
        session_doses.unit_id,
        session_doses.vaccine_code,
        session_doses.manufacturer_code,
        session_doses.batch_no,
        count(*) as shortfall_sessions
    from session_doses
    left join session_use
        on
            session_doses.unit_id = session_use.unit_id
            and session_doses.vaccine_code = session_use.vaccine_code
            and session_doses.manufacturer_code = session_use.manufacturer_code
            and session_doses.batch_no = session_use.batch_no
            and session_doses.session_date = session_use.session_date
    where session_doses.doses_given > coalesce(session_use.dose_quantity, 0)
    group by session_doses.unit_id, session_doses.vaccine_code, session_doses.manufacturer_code, session_doses.batch_no

),

final as (

    select
        reconciliation.unit_id || ':' || reconciliation.vaccine_code || ':' || reconciliation.manufacturer_code
        || ':' || reconciliation.batch_no as unit_batch_id,
        reconciliation.unit_id,
        reconciliation.unit_name,
        reconciliation.region_code,
        reconciliation.county_code,
        reconciliation.city_code,
        reconciliation.vaccine_code,
        reconciliation.manufacturer_code,
        reconciliation.batch_no,
        reconciliation.batch_id,
        reconciliation.doses_per_unit,
        reconciliation.doses_given,
        reconciliation.used_quantity,
        reconciliation.used_dose_quantity as doses_issued,
        reconciliation.dose_difference,
        coalesce(session_shortfall.shortfall_sessions, 0) as shortfall_sessions,
        case
            when reconciliation.reconciliation_status = 'ok' and session_shortfall.shortfall_sessions > 0
                then 'doses_without_stock_movement'
            else reconciliation.reconciliation_status
        end as reconciliation_status
    from reconciliation
    left join session_shortfall
        on
            reconciliation.unit_id = session_shortfall.unit_id
            and reconciliation.vaccine_code = session_shortfall.vaccine_code
            and reconciliation.manufacturer_code = session_shortfall.manufacturer_code
            and reconciliation.batch_no = session_shortfall.batch_no
    where not reconciliation.is_outside_register

)

select * from final
