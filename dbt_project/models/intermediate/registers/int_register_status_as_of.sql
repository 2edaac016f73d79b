{{ config(materialized='view') }}
-- Each child's register status (在册情况) as of T = var('evaluation_date'), from the register-change history
-- (macro register_status_as_of, macros/register_status.sql). A view: 乡镇出生队列接种率 reads the statuses of
-- the children a day changed through the same macro, so no build reads every child's history.
{{ register_status_as_of() }}
