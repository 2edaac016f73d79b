"""Code tables of the event entities (register changes, migrations, visits, histories) whose values
the simulator defines; ``vaxdw.contract.docs`` documents them."""

from __future__ import annotations

from vaxdw.simulator.register_changes import REASONS

MIGRATION_STATUS = {"pending": "待接收", "accepted": "已接收", "rejected": "已拒绝", "withdrawn": "已撤回"}
MIGRATION_REASONS = {"residence": "居住地变更", "household": "户籍迁移", "guardian_work": "监护人工作变动",
                     "school": "入学入托", "other": "其他"}
SIGNER_TYPES = {"guardian": "监护人", "self": "本人"}
CONTRAINDICATIONS = {"C01": "发热 (暂缓接种)", "C02": "急性疾病 (暂缓接种)", "C03": "免疫缺陷",
                     "C04": "既往接种严重过敏", "C05": "神经系统疾病 (进行性)", "C06": "正在使用免疫抑制剂"}
AEFI_TYPES = {"A01": "发热", "A02": "局部红肿", "A03": "局部硬结", "A04": "皮疹", "A05": "过敏性反应",
              "A06": "热性惊厥", "A07": "血小板减少性紫癜"}
AEFI_OUTCOMES = {"recovered": "痊愈", "improving": "好转", "sequelae": "后遗症"}
INFECTIOUS_DISEASES = {"D01": "水痘", "D02": "手足口病", "D03": "麻疹", "D04": "流行性腮腺炎", "D05": "百日咳",
                       "D06": "病毒性肝炎"}
ALLERGENS = {"G01": "鸡蛋", "G02": "牛奶", "G03": "青霉素", "G04": "明胶", "G05": "酵母", "G06": "乳胶"}
OPERATIONS = {"update": "修改", "delete": "删除"}

CODE_TABLES: dict[str, dict[str, str]] = {
    "register_change_reason": REASONS,
    "migration_status": MIGRATION_STATUS,
    "migration_reason": MIGRATION_REASONS,
    "signer_type": SIGNER_TYPES,
    "contraindication": CONTRAINDICATIONS,
    "aefi": AEFI_TYPES,
    "aefi_outcome": AEFI_OUTCOMES,
    "infectious_disease": INFECTIOUS_DISEASES,
    "allergen": ALLERGENS,
    "operation": OPERATIONS,
}
