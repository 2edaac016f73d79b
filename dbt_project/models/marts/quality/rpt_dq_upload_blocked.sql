{{ config(materialized='view') }}
-- 上传拦截清单 (upload-readiness gate): records that break a blocking rule (severity error) and are
-- held back from the national upload until repaired; one row per record and table.
with anomalies as (

    select * from {{ ref('rpt_dq_anomaly') }}
    where severity = 'error'

),

final as (

    select
        table_name,
        row_key,
        min(recipient_id) as recipient_id,
        min(vaccination_id) as vaccination_id,
        min(unit_id) as unit_id,
        min(unit_name) as unit_name,
        min(county_code) as county_code,
        string_agg(rule_id, ',' order by rule_id) as blocking_rule_ids,
        string_agg(message_zh, '；' order by rule_id) as messages_zh,
        max(detected_at) as detected_at
    from anomalies
    group by table_name, row_key

)

select * from final
