"""What is uploaded where: one :class:`Category` per record type (docs/exchange.md §4).

Each category names the warehouse relation it reads (``requires[0]``), the key, the payload (our interface
fields, built in SQL as JSON) and the quality table whose blocking failures hold records back.
``changed_sql`` returns ``record_key, load_id, payload`` for rows whose ``_load_id`` is above the watermark
(``%(wm)s``), and the watermark moves to the relation's highest ``_load_id`` (``max_load_sql``). An unchanged
payload is never enqueued again (content hash), so a category without load ids (``load_ids=False``) scans all
rows and keeps no watermark.

Stock documents (``marts.fct_stock_movements``, one row per document line) and cold-chain equipment
(``marts.dim_cold_chain_equipment``) come from the traceability marts; the categories switch on by
themselves when their relations (``requires``) exist in the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

NIIS = "niis"
COLLAB = "collab"

# The provincial platform only knows register codes 1/2/3/4/5/9 (DOMAIN.md §2.3): 6, 7, 10 → 1; 8 → 9.
REGISTER_STATUS_FOR_UPLOAD = "case when register_status in (6, 7, 10) then 1 when register_status = 8 then 9 " \
                             "else register_status end"


@dataclass(frozen=True)
class Category:
    name: str
    target: str
    title_zh: str
    requires: tuple[str, ...]  # the relation read first; the category is disabled until all exist
    changed_sql: str
    gate_table: str | None = None
    load_ids: bool = True  # requires[0] has _load_id, the watermark's column

    @property
    def remote_path(self) -> str:
        return f"/api/v1/upload/{self.name}"

    @property
    def max_load_sql(self) -> str | None:
        """Where the watermark moves after enqueueing (None: no load ids, every row is compared by content)."""
        return f"select max(_load_id) from {self.requires[0]}" if self.load_ids else None


def _ts(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"


def _record_per_row(name: str, title_zh: str, relation: str, key: str, fields: dict[str, str],
                    gate_table: str) -> Category:
    """A national-system category with one record per row of a relation with load ids: ``fields`` maps each
    interface field (docs/exchange.md §4) to its SQL expression over the relation."""
    payload = ",\n            ".join(f"'{field}', {expression}" for field, expression in fields.items())
    return Category(
        name=name,
        target=NIIS,
        title_zh=title_zh,
        requires=(relation,),
        gate_table=gate_table,
        changed_sql=f"""
        select {key}::text, _load_id, jsonb_build_object(
            {payload}
        )
        from {relation}
        where _load_id > %(wm)s
    """,
    )


RECIPIENT = _record_per_row("recipient", "受种者档案", "staging.stg_ops__recipient", "recipient_id", {
    "recipient_id": "recipient_id::text",
    "name": "recipient_name",
    "sex": "sex",
    "birth_time": _ts("birth_at"),
    "id_number": "id_number",
    "mother_name": "mother_name",
    "mother_hbsag": "mother_hbsag",
    "household_township": "household_township_code",
    "residence_township": "residence_township_code",
    "is_local": "is_local",
    "managing_unit": "managing_unit_id",
    "register_status": REGISTER_STATUS_FOR_UPLOAD,
    "is_deleted": "is_deleted",
    "created_at": _ts("created_at"),
    "updated_at": _ts("updated_at"),
}, gate_table="dim_recipients")

VACCINATION = _record_per_row("vaccination", "全量接种记录", "staging.stg_ops__vaccination", "vaccination_id", {
    "vaccination_id": "vaccination_id::text",
    "recipient_id": "recipient_id::text",
    "vaccine_code": "vaccine_code",
    "dose_no": "dose_no",
    "vaccinated_at": _ts("vaccinated_at"),
    "unit_id": "unit_id",
    "vaccinator_id": "vaccinator_id::text",
    "manufacturer_code": "manufacturer_code",
    "batch_no": "batch_no",
    "expiry_date": "to_char(expiry_date, 'YYYY-MM-DD')",
    "site_code": "site_code",
    "route_code": "route_code",
    "vacc_property": "vacc_property",
    "is_free": "is_free",
    "is_deleted": "is_deleted",
    "entered_at": _ts("entered_at"),
    "updated_at": _ts("updated_at"),
}, gate_table="fct_vaccinations")

STAFF = _record_per_row("staff", "业务人员信息", "staging.stg_ops__staff", "staff_id", {
    "staff_id": "staff_id::text",
    "unit_id": "unit_id",
    "name": "staff_name",
    "id_number": "id_number",
    "sex": "sex",
    "role": "staff_role",
    "is_deleted": "is_deleted",
    "updated_at": _ts("updated_at"),
}, gate_table="staff")

# From the traceability marts (branch `traceability`); enabled when the relations exist.
STOCK_DOCUMENT = Category(
    name="stock_document",
    target=NIIS,
    title_zh="疫苗出入库单据",
    requires=("marts.fct_stock_movements",),
    gate_table="fct_stock_movements",
    load_ids=False,
    # every column but loader columns and running balances (a back-dated document must not resend the rest)
    changed_sql="""
        select line_id::text, null::bigint,
            to_jsonb(txn) - array(select key from jsonb_object_keys(to_jsonb(txn)) as key
                                  where key like '\\_%%' or key like '%%balance%%')
        from marts.fct_stock_movements as txn
        where %(wm)s is not null
    """,
)

COLDCHAIN_EQUIPMENT = Category(
    name="coldchain_equipment",
    target=NIIS,
    title_zh="冷链设备信息",
    requires=("marts.dim_cold_chain_equipment",),
    gate_table="dim_cold_chain_equipment",
    load_ids=False,
    changed_sql="""
        select equipment_id::text, null::bigint,
            to_jsonb(equipment)
                - array(select key from jsonb_object_keys(to_jsonb(equipment)) as key where key like '\\_%%')
        from marts.dim_cold_chain_equipment as equipment
        where %(wm)s is not null
    """,
)

# 疫苗流通信息 back to the collaborative platform: doses used per unit, product, batch and day (接种使用).
# When the traceability stock flow exists it takes over (same machinery, another changed_sql).
CIRCULATION = Category(
    name="circulation",
    target=COLLAB,
    title_zh="疫苗流通信息",
    requires=("marts.fct_vaccinations",),
    changed_sql="""
        with touched as (
            select distinct unit_id, vaccination_date
            from marts.fct_vaccinations
            where _load_id > %(wm)s
        ),
        used as (
            select
                doses.unit_id,
                doses.vaccination_date,
                doses.vaccine_code,
                coalesce(doses.manufacturer_code, '') as manufacturer_code,
                coalesce(doses.batch_no, '') as batch_no,
                count(*) as doses_used,
                max(doses._load_id) as load_id
            from marts.fct_vaccinations as doses
            inner join touched
                on doses.unit_id = touched.unit_id and doses.vaccination_date = touched.vaccination_date
            group by 1, 2, 3, 4, 5
        )
        select
            concat_ws('|', unit_id, to_char(vaccination_date, 'YYYYMMDD'), vaccine_code, manufacturer_code, batch_no),
            load_id,
            jsonb_build_object(
                'event_type', 'OUT_USE',
                'unit_id', unit_id,
                'event_date', to_char(vaccination_date, 'YYYY-MM-DD'),
                'vaccine_code', vaccine_code,
                'manufacturer_code', manufacturer_code,
                'batch_no', batch_no,
                'quantity_doses', doses_used
            )
        from used
    """,
)

CATEGORIES: dict[str, Category] = {
    c.name: c for c in (RECIPIENT, VACCINATION, STAFF, STOCK_DOCUMENT, COLDCHAIN_EQUIPMENT, CIRCULATION)
}
NIIS_ORDER = ("recipient", "vaccination", "stock_document", "coldchain_equipment", "staff")
