-- One row per dose of fct_vaccinations with the facts the dose rules check (expectations/rules.yaml):
-- schedule (minimum age / interval from the classification of int_vaccinations, dose numbers increasing
-- within a vaccine category, newborn doses not before birth), code tables, completeness and the
-- vaccinator resolving to a staff record. The checkpoint validates the rows of the new loads.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

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

numbered as (

    select
        doses.*,
        -- Doses with an unknown vaccine code cannot be placed in a series: compared among themselves only.
        lag(doses.dose_no) over (
            partition by doses.recipient_id, doses.category_code, doses.is_vaccine_code_known
            order by doses.vaccinated_at asc, doses.vaccination_id asc
        ) as previous_dose_no
    from doses

),

final as (

    select
        numbered.vaccination_id,
        numbered.recipient_id,
        numbered.unit_id,
        numbered.vaccine_code,
        numbered.category_code,
        numbered.dose_no,
        numbered.previous_dose_no,
        numbered.recomputed_dose_no,
        numbered.vaccinated_at,
        numbered.birth_at,
        numbered.age_days,
        numbered.schedule_class,
        numbered.is_min_age_valid,
        numbered.is_min_interval_valid,
        numbered.is_vaccine_code_known,
        numbered.manufacturer_code,
        numbered.manufacturer_code is null or numbered.manufacturer_name is not null as is_manufacturer_known,
        numbered.site_code,
        numbered.site_code is null or sites.site_code is not null as is_site_known,
        numbered.route_code,
        numbered.route_code is null or routes.route_code is not null as is_route_known,
        numbered.vacc_property,
        numbered.vacc_property is null or properties.vacc_property is not null as is_vacc_property_known,
        numbered.vaccinator_id,
        numbered.vaccinator_id is null or staff.staff_id is not null as is_vaccinator_known,
        nullif(concat_ws(
            ',',
            case when nullif(btrim(numbered.manufacturer_code), '') is null then 'manufacturer_code' end,
            case when nullif(btrim(numbered.batch_no), '') is null then 'batch_no' end,
            case when numbered.vaccinator_id is null then 'vaccinator_id' end,
            case when nullif(btrim(numbered.site_code), '') is null then 'site_code' end,
            case when nullif(btrim(numbered.unit_id), '') is null then 'unit_id' end
        ), '') as missing_columns,
        numbered.is_vaccine_code_known
        and numbered.dose_no is not null
        and numbered.previous_dose_no is not null
        and numbered.dose_no <= numbered.previous_dose_no as is_dose_no_not_increasing,
        (
            numbered.category_code in {{ non_vaccine_categories() }}
            or (numbered.category_code in ('01', '02') and numbered.recomputed_dose_no = 1)
        )
        and numbered.vaccinated_at < numbered.birth_at as is_newborn_dose_before_birth,
        numbered._load_id
    from numbered
    left join sites
        on numbered.site_code = sites.site_code
    left join routes
        on numbered.route_code = routes.route_code
    left join properties
        on numbered.vacc_property = properties.vacc_property
    left join staff
        on numbered.vaccinator_id = staff.staff_id

)

select * from final
