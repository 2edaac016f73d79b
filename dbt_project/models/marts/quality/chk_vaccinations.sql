{{ config(materialized='view') }}
-- One row per dose of fct_vaccinations with the facts the dose rules check (expectations/rules.yaml):
-- schedule (minimum age / interval from the classification of int_vaccinations, dose numbers increasing
-- within a vaccine category, newborn doses not before birth), code tables, completeness and the
-- vaccinator resolving to a staff record. The checkpoint validates the rows of the new loads.
-- A view: every fact is either stored with the dose (int_vaccinations, incremental by recipient, also
-- stores the previous dose number of the series) or a lookup in a small table made as it is read.
with doses as (

    select * from {{ ref('int_vaccinations') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturer') }}

),

sites as (

    select * from {{ ref('ref_site') }}

),

routes as (

    select * from {{ ref('ref_route') }}

),

properties as (

    select * from {{ ref('ref_vacc_property') }}

),

staff as (

    select * from {{ ref('stg_ops__staff') }}
    where not is_deleted

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.unit_id,
        doses.vaccine_code,
        doses.category_code,
        doses.dose_no,
        doses.previous_dose_no,
        doses.recomputed_dose_no,
        doses.vaccinated_at,
        doses.birth_at,
        doses.age_days,
        doses.schedule_class,
        doses.is_min_age_valid,
        doses.is_min_interval_valid,
        doses.is_vaccine_code_known,
        doses.manufacturer_code,
        doses.manufacturer_code is null or manufacturers.manufacturer_name is not null as is_manufacturer_known,
        doses.site_code,
        doses.site_code is null or sites.site_code is not null as is_site_known,
        doses.route_code,
        doses.route_code is null or routes.route_code is not null as is_route_known,
        doses.vacc_property,
        doses.vacc_property is null or properties.vacc_property is not null as is_vacc_property_known,
        doses.vaccinator_id,
        doses.vaccinator_id is null or staff.staff_id is not null as is_vaccinator_known,
        nullif(concat_ws(
            ',',
            case when nullif(btrim(doses.manufacturer_code), '') is null then 'manufacturer_code' end,
            case when nullif(btrim(doses.batch_no), '') is null then 'batch_no' end,
            case when doses.vaccinator_id is null then 'vaccinator_id' end,
            case when nullif(btrim(doses.site_code), '') is null then 'site_code' end,
            case when nullif(btrim(doses.unit_id), '') is null then 'unit_id' end
        ), '') as missing_columns,
        doses.is_vaccine_code_known
        and doses.dose_no is not null
        and doses.previous_dose_no is not null
        and doses.dose_no <= doses.previous_dose_no as is_dose_no_not_increasing,
        (
            doses.category_code in {{ non_vaccine_categories() }}
            or (doses.category_code in ('01', '02') and doses.recomputed_dose_no = 1)
        )
        and doses.vaccinated_at < doses.birth_at as is_newborn_dose_before_birth,
        doses._load_id
    from doses
    left join manufacturers
        on doses.manufacturer_code = manufacturers.manufacturer_code
    left join sites
        on doses.site_code = sites.site_code
    left join routes
        on doses.route_code = routes.route_code
    left join properties
        on doses.vacc_property = properties.vacc_property
    left join staff
        on doses.vaccinator_id = staff.staff_id

)

select * from final
