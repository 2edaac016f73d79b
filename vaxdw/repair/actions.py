"""Bulk-repair actions: for the records a rule currently flags (dq.current_anomaly), the proposed
new values. Each action is SQL over the warehouse returning
``(table_name, row_key, column_name, old_value, new_value)``; old values are the current corrected
values (what the marts show), so a repair of a repaired value chains correctly.

The catalogue names the action of a repairable rule (``repairable.action``).
"""

from __future__ import annotations

FLAGGED = "(select row_key from dq.current_anomaly where rule_id = %(rule_id)s)"

ACTIONS: dict[str, str] = {
    # 性别按身份证号第17位（奇数男、偶数女）
    "sex_from_id": f"""
        select 'recipient', r.recipient_id::text, 'sex', r.sex,
            case when strpos('13579', substr(r.id_number, 17, 1)) > 0 then '1' else '2' end
        from intermediate.int_recipients_corrected as r
        where r.recipient_id::text in {FLAGGED}
            and r.id_number ~ '^[0-9]{{17}}[0-9X]$'
    """,
    # 剂次按同一疫苗大类内接种时间顺序重算 (int_vaccinations.recomputed_dose_no)
    "dose_no_recomputed": f"""
        select 'vaccination', d.vaccination_id::text, 'dose_no', d.dose_no::text, d.recomputed_dose_no::text
        from intermediate.int_vaccinations as d
        where d.vaccination_id::text in {FLAGGED}
            and d.recomputed_dose_no is distinct from d.dose_no
    """,
    # 历史乡镇代码 → 合并后的现行代码
    "township_merged": f"""
        select 'recipient', c.recipient_id::text, 'residence_township_code', c.residence_township_code,
            c.residence_township_code_current
        from marts.chk_recipients as c
        where c.recipient_id::text in {FLAGGED} and c.residence_township_code_current is not null
        union all
        select 'recipient', c.recipient_id::text, 'household_township_code', c.household_township_code,
            c.household_township_code_current
        from marts.chk_recipients as c
        where c.recipient_id::text in {FLAGGED} and c.household_township_code_current is not null
    """,
    # 姓名去除首尾空格、合并连续空格
    "trim_names": f"""
        select 'recipient', c.recipient_id::text, 'recipient_name', c.recipient_name,
            btrim(regexp_replace(c.recipient_name, '\\s+', ' ', 'g'))
        from marts.chk_recipients as c
        where c.recipient_id::text in {FLAGGED}
            and c.recipient_name <> btrim(regexp_replace(c.recipient_name, '\\s+', ' ', 'g'))
        union all
        select 'recipient', c.recipient_id::text, 'mother_name', c.mother_name,
            btrim(regexp_replace(c.mother_name, '\\s+', ' ', 'g'))
        from marts.chk_recipients as c
        where c.recipient_id::text in {FLAGGED}
            and c.mother_name <> btrim(regexp_replace(c.mother_name, '\\s+', ' ', 'g'))
    """,
}

KEY_COLUMN = {"recipient": "recipient_id", "vaccination": "vaccination_id"}
