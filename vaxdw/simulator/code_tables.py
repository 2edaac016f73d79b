"""Vaccine and manufacturer code tables (DOMAIN.md §3.2) and which manufacturer makes what.

The vaccine codes are the 4-digit legacy national table; category = first two digits.
Manufacturer codes are synthetic 2-digit codes for real Chinese (and two foreign) producers;
the product assignment is plausible, not an official licence list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vaccine:
    code: str
    name: str
    abbr: str
    is_nip: bool

    @property
    def category_code(self) -> str:
        return self.code[:2]


VACCINES: tuple[Vaccine, ...] = (
    Vaccine("0101", "皮内注射用卡介苗", "BCG", True),
    Vaccine("0201", "重组乙型肝炎疫苗(CHO)", "HepB-CHO", True),
    Vaccine("0202", "重组乙型肝炎疫苗(酵母)", "HepB", True),
    Vaccine("0203", "重组乙型肝炎疫苗(汉逊酵母)", "HepB-HP", True),
    Vaccine("0301", "脊髓灰质炎减毒活疫苗(二倍体)", "tOPV", True),
    Vaccine("0302", "脊髓灰质炎减毒活疫苗(猴肾)", "tOPV", True),
    Vaccine("0303", "脊髓灰质炎灭活疫苗", "IPV", True),
    Vaccine("0306", "Sabin株脊髓灰质炎灭活疫苗", "sIPV", True),
    Vaccine("0311", "I+III型二价脊髓灰质炎减毒活疫苗", "bOPV", True),
    Vaccine("0401", "吸附百白破联合疫苗", "DTP", True),
    Vaccine("0402", "吸附无细胞百白破联合疫苗", "DTaP", True),
    Vaccine("0601", "吸附白喉破伤风联合疫苗", "DT", True),
    Vaccine("0901", "麻疹减毒活疫苗", "MV", True),
    Vaccine("1201", "麻疹腮腺炎风疹联合减毒活疫苗", "MMR", True),
    Vaccine("1301", "麻疹腮腺炎联合减毒活疫苗", "MM", True),
    Vaccine("1401", "麻疹风疹联合减毒活疫苗", "MR", True),
    Vaccine("1601", "A群脑膜炎球菌多糖疫苗", "MPSV-A", True),
    Vaccine("1701", "A群C群脑膜炎球菌多糖疫苗", "MPSV-AC", True),
    Vaccine("1702", "A群C群脑膜炎球菌多糖结合疫苗", "MPCV-AC", False),
    Vaccine("1703", "ACYW135群脑膜炎球菌多糖疫苗", "MPSV-ACYW", False),
    Vaccine("1801", "乙型脑炎减毒活疫苗", "JE-L", True),
    Vaccine("1802", "乙型脑炎灭活疫苗", "JE-I", True),
    Vaccine("1901", "甲型肝炎减毒活疫苗", "HepA-L", True),
    Vaccine("1902", "冻干甲型肝炎减毒活疫苗", "HepA-L", True),
    Vaccine("1903", "甲型肝炎灭活疫苗", "HepA-I", True),
    Vaccine("2001", "双价肾综合征出血热灭活疫苗(Vero细胞)", "HFRS", True),  # code UNCONFIRMED
    Vaccine("2201", "水痘减毒活疫苗", "Var", False),
    Vaccine("2301", "b型流感嗜血杆菌结合疫苗", "Hib", False),
    Vaccine("2401", "口服轮状病毒活疫苗", "Rota", False),
    Vaccine("2501", "23价肺炎球菌多糖疫苗", "PPV23", False),
    Vaccine("2502", "7价肺炎球菌多糖结合疫苗", "PCV7", False),
    Vaccine("2801", "冻干人用狂犬病疫苗(Vero细胞)", "Rab", False),
    Vaccine("3901", "乙型肝炎人免疫球蛋白", "HBIG", False),
    Vaccine("3902", "冻干乙型肝炎人免疫球蛋白", "HBIG", False),
    Vaccine("4901", "无细胞百白破b型流感嗜血杆菌联合疫苗", "DTaP-Hib", False),
    Vaccine("5001", "吸附无细胞百白破灭活脊髓灰质炎和b型流感嗜血杆菌联合疫苗", "DTaP-IPV/Hib", False),
    Vaccine("5401", "肠道病毒71型灭活疫苗", "EV71", False),
    Vaccine("9999", "其他", "", False),
)

VACCINE_BY_CODE = {vaccine.code: vaccine for vaccine in VACCINES}

MANUFACTURERS: tuple[tuple[str, str], ...] = (
    ("01", "北京生物制品研究所有限责任公司"),
    ("02", "长春生物制品研究所有限责任公司"),
    ("03", "成都生物制品研究所有限责任公司"),
    ("04", "兰州生物制品研究所有限责任公司"),
    ("05", "上海生物制品研究所有限责任公司"),
    ("06", "武汉生物制品研究所有限责任公司"),
    ("07", "中国医学科学院医学生物学研究所"),
    ("08", "北京科兴生物制品有限公司"),
    ("09", "华兰生物疫苗股份有限公司"),
    ("10", "深圳康泰生物制品股份有限公司"),
    ("11", "大连汉信生物制药有限公司"),
    ("12", "玉溪沃森生物技术有限公司"),
    ("13", "北京民海生物科技有限公司"),
    ("14", "赛诺菲巴斯德"),
    ("15", "葛兰素史克"),
)

# Which manufacturers make each vaccine (codes absent here have no maker in the simulation).
MAKERS: dict[str, tuple[str, ...]] = {
    "0101": ("05", "03"),
    "0201": ("11", "09"),
    "0202": ("10", "09", "02"),
    "0203": ("11",),
    "0303": ("14",),
    "0306": ("07", "01", "06"),
    "0311": ("07", "01"),
    "0402": ("06", "03", "01", "12"),
    "0601": ("06", "03"),
    "1201": ("05", "01"),
    "1401": ("05",),
    "1601": ("04", "12"),
    "1701": ("04", "12", "09"),
    "1702": ("12", "13"),
    "1801": ("03",),
    "1802": ("02",),
    "1901": ("07", "04"),
    "1903": ("08", "15"),
    "2001": ("04", "02"),
    "2201": ("02", "05", "08"),
    "2301": ("04", "12", "13", "14"),
    "2401": ("04",),
    "2801": ("02", "03"),
    "3901": ("09", "03"),
    "4901": ("13",),
    "5001": ("14",),
    "5401": ("07", "08", "06"),
}

# Codes no real vaccine has: used only by the unknown_vaccine_code fault.
UNKNOWN_VACCINE_CODES = ("0299", "8801", "0000", "12O1")
