-- One row per current recipient with the facts the recipient rules check (expectations/rules.yaml):
-- ID address prefix, historical township codes, untrimmed names, region-configured required fields,
-- and duplicate records (item 11). The checkpoint validates the rows of the new loads.
with recipients as (

    select * from {{ ref('dim_recipients') }}

),

regions as (

    select * from {{ ref('dim_region') }}

),

required_config as (

    select * from {{ ref('ref_dq_required_field') }}
    where table_name = 'recipient'

),

-- The most specific configured region of the managing unit decides per column.
required_columns as (

    select distinct on (recipients.recipient_id, required_config.column_name)
        recipients.recipient_id,
        required_config.column_name,
        required_config.is_required
    from recipients
    inner join required_config
        on required_config.region_code in (
                recipients.managing_township_code,
                recipients.managing_county_code,
                recipients.managing_city_code,
                left(recipients.managing_county_code, 2) || '0000'
            )
    order by
        recipients.recipient_id,
        required_config.column_name,
        length(required_config.region_code) desc,
        required_config.region_code <> left(required_config.region_code, 2) || '0000' desc,
        required_config.region_code <> left(required_config.region_code, 4) || '00' desc

),

missing_required as (

    select
        required_columns.recipient_id,
        string_agg(required_columns.column_name, ',' order by required_columns.column_name)
            as missing_required_columns
    from required_columns
    inner join recipients
        on required_columns.recipient_id = recipients.recipient_id
    where required_columns.is_required
        and case required_columns.column_name
            when 'mother_hbsag' then recipients.mother_hbsag is null
            when 'mother_name' then nullif(btrim(recipients.mother_name), '') is null
            when 'birth_weight' then nullif(btrim(recipients.birth_weight::text), '') is null
            when 'id_number' then nullif(btrim(recipients.id_number), '') is null
            when 'recipient_name' then nullif(btrim(recipients.recipient_name), '') is null
            else false
        end
    group by required_columns.recipient_id

),

hbsag_required as (

    select
        recipient_id,
        is_required
    from required_columns
    where column_name = 'mother_hbsag'

),

-- Earlier record of the same child: same ID number, or same name + birth date + mother's name.
ordered as (

    select
        recipient_id,
        id_number,
        recipient_name,
        birth_date,
        mother_name,
        created_at,
        row_number() over (order by created_at asc, recipient_id asc) as filing_order
    from recipients

),

same_id as (

    select
        later.recipient_id,
        min(earlier.recipient_id) as original_recipient_id
    from ordered as later
    inner join ordered as earlier
        on later.id_number = earlier.id_number
            and later.filing_order > earlier.filing_order
    where later.id_number is not null
    group by later.recipient_id

),

same_person as (

    select
        later.recipient_id,
        min(earlier.recipient_id) as original_recipient_id
    from ordered as later
    inner join ordered as earlier
        on btrim(later.recipient_name) = btrim(earlier.recipient_name)
            and later.birth_date = earlier.birth_date
            and btrim(later.mother_name) = btrim(earlier.mother_name)
            and later.filing_order > earlier.filing_order
    group by later.recipient_id

),

historical_townships as (

    select
        region_code,
        current_region_code
    from regions
    where region_level = 4
        and not is_current
        and current_region_code is not null
        and current_region_code <> region_code

),

final as (

    select
        recipients.recipient_id,
        recipients.recipient_name,
        recipients.mother_name,
        recipients.id_number,
        recipients.birth_date,
        recipients.created_at,
        recipients.managing_unit_id,
        recipients.residence_township_code,
        recipients.household_township_code,
        (
            recipients.id_number !~ '^[0-9]{17}[0-9X]$'
            or left(recipients.id_number, 2) <> '{{ var("dq_id_prefix_province") }}'
            or exists (
                select 1 from regions
                where regions.region_code = left(recipients.id_number, 6)
                    and regions.region_level in (2, 3)
            )
        ) as is_id_prefix_valid,
        residence_old.current_region_code as residence_township_code_current,
        household_old.current_region_code as household_township_code_current,
        (residence_old.region_code is not null or household_old.region_code is not null)
            as has_historical_township_code,
        (
            recipients.recipient_name <> btrim(regexp_replace(recipients.recipient_name, '\s+', ' ', 'g'))
            or recipients.mother_name <> btrim(regexp_replace(recipients.mother_name, '\s+', ' ', 'g'))
        ) as has_untrimmed_name,
        coalesce(hbsag_required.is_required, false) as is_mother_hbsag_required,
        missing_required.missing_required_columns,
        coalesce(same_id.original_recipient_id, same_person.original_recipient_id)
            as duplicate_of_recipient_id,
        case
            when same_id.recipient_id is not null then 'id_number'
            when same_person.recipient_id is not null then 'name_birth_mother'
        end as duplicate_match,
        recipients.created_at::date
        < (recipients.birth_date + make_interval(months => {{ var("dq_newborn_max_age_months") }}))::date
            as is_newborn_record,
        recipients._load_id
    from recipients
    left join missing_required
        on recipients.recipient_id = missing_required.recipient_id
    left join hbsag_required
        on recipients.recipient_id = hbsag_required.recipient_id
    left join same_id
        on recipients.recipient_id = same_id.recipient_id
    left join same_person
        on recipients.recipient_id = same_person.recipient_id
    left join historical_townships as residence_old
        on recipients.residence_township_code = residence_old.region_code
    left join historical_townships as household_old
        on recipients.household_township_code = household_old.region_code

)

select * from final
