"""Chinese personal and place names for synthetic records."""

from __future__ import annotations

import random

# Common surnames, roughly by frequency (the first ones are drawn more often).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN_BOY = "浩宇轩子涵博文睿哲俊杰明辰泽鑫磊宸航晨阳一诚奕铭煜瑞嘉豪伟毅凯峻皓然天佑乐安"
GIVEN_GIRL = "欣怡梓涵雨萱诗琪可馨思彤若汐语桐佳悦梦瑶雅静婷慧芳丽娜雪璐颖晓妍瑾一诺清"
GIVEN_ADULT_F = "秀英桂兰玉梅丽娟敏静燕霞红艳芳丹萍琳洁婷雪莉娜晶倩"
GIVEN_ADULT_M = "建国军伟强磊勇刚明辉杰涛斌鹏超华平波亮峰飞宁"

# Syllables for township names (乡镇/街道): two are joined, plus a suffix.
PLACE_SYLLABLES = (
    "安白宝北城川大东丰凤高官广汉河红华黄金井口兰老柳龙鹿马梅南平坡岐秦青泉三沙山上石寺太"
    "塘天田铁王渭西峡仙新兴阳杨永玉云枣张长镇中周竹庄子柏池丹店甘谷槐家涧岭楼庙宁桥水堡王曲"
)


def surname(rng: random.Random) -> str:
    # Favour the head of the list: squared uniform index.
    return SURNAMES[int(rng.random() ** 2 * len(SURNAMES))]


def child_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    chars = GIVEN_BOY if sex == "1" else GIVEN_GIRL
    given = rng.choice(chars) if rng.random() < 0.3 else rng.choice(chars) + rng.choice(chars)
    return (family or surname(rng)) + given


def adult_name(rng: random.Random, sex: str) -> str:
    chars = GIVEN_ADULT_M if sex == "1" else GIVEN_ADULT_F
    given = rng.choice(chars) if rng.random() < 0.4 else rng.choice(chars) + rng.choice(chars)
    return surname(rng) + given


def place_stem(rng: random.Random, used: set[str]) -> str:
    """A two-character place name not yet in ``used`` (adds it)."""
    while True:
        stem = rng.choice(PLACE_SYLLABLES) + rng.choice(PLACE_SYLLABLES)
        if stem[0] != stem[1] and stem not in used:
            used.add(stem)
            return stem


def typo(rng: random.Random, name: str) -> str:
    """A plausible one-character typo (used by simulate_changes to model a later correction)."""
    pool = GIVEN_BOY + GIVEN_GIRL
    index = rng.randrange(1, len(name)) if len(name) > 1 else 0
    return name[:index] + rng.choice(pool) + name[index + 1 :]
