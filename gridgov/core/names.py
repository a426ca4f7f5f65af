"""Realistic synthetic Chinese and Mongolian personal names for generated data."""

import itertools
import random

# The most common surnames with approximate shares (percent of the population).
SURNAMES: list[tuple[str, float]] = [
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("赵", 2.3),
    ("黄", 2.2),
    ("周", 2.1),
    ("吴", 2.0),
    ("徐", 1.7),
    ("孙", 1.6),
    ("胡", 1.3),
    ("朱", 1.3),
    ("高", 1.3),
    ("林", 1.2),
    ("何", 1.2),
    ("郭", 1.2),
    ("马", 1.1),
    ("罗", 0.9),
    ("梁", 0.9),
    ("宋", 0.8),
    ("郑", 0.8),
    ("谢", 0.7),
    ("韩", 0.7),
    ("唐", 0.7),
    ("冯", 0.6),
    ("于", 0.6),
    ("董", 0.6),
    ("萧", 0.5),
    ("程", 0.5),
    ("曹", 0.5),
    ("袁", 0.5),
    ("邓", 0.5),
    ("许", 0.5),
    ("傅", 0.4),
    ("沈", 0.4),
    ("曾", 0.4),
    ("彭", 0.4),
    ("吕", 0.4),
    ("苏", 0.4),
    ("卢", 0.4),
    ("蒋", 0.4),
    ("蔡", 0.4),
    ("贾", 0.3),
    ("丁", 0.3),
    ("魏", 0.3),
    ("薛", 0.3),
    ("叶", 0.3),
    ("阎", 0.3),
    ("余", 0.3),
    ("潘", 0.3),
    ("杜", 0.3),
    ("戴", 0.3),
    ("夏", 0.3),
    ("钟", 0.3),
    ("汪", 0.3),
    ("田", 0.3),
    ("任", 0.3),
    ("姜", 0.3),
    ("范", 0.3),
    ("方", 0.3),
    ("石", 0.3),
    ("姚", 0.3),
    ("谭", 0.2),
    ("廖", 0.2),
    ("邹", 0.2),
    ("熊", 0.2),
    ("金", 0.2),
    ("陆", 0.2),
    ("郝", 0.2),
    ("孔", 0.2),
    ("白", 0.2),
    ("崔", 0.2),
    ("康", 0.2),
    ("毛", 0.2),
    ("邱", 0.2),
    ("秦", 0.2),
    ("江", 0.2),
    ("史", 0.2),
    ("顾", 0.2),
    ("侯", 0.2),
    ("邵", 0.2),
    ("孟", 0.2),
    ("龙", 0.2),
    ("万", 0.2),
    ("段", 0.2),
    ("雷", 0.2),
    ("单", 0.05),
    ("解", 0.05),
    ("乐", 0.05),
    ("仇", 0.05),
    ("查", 0.05),
    ("朴", 0.03),
    ("区", 0.02),
]
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕"
    "文斌鹏飞宇浩晨阳欣怡子涵梓萱雨桐思远嘉豪俊杰佳琪雅婷晓东春梅秋菊冬梅国庆立新"
    "丽娟桂芳玉珍凤英淑珍永红志刚建军振华德明子轩一诺浩然梦琪诗涵博文天佑若曦"
)
MONGOLIAN_NAMES = (
    "巴特尔",
    "其木格",
    "乌云",
    "斯琴",
    "额尔敦",
    "那仁",
    "苏和",
    "格日勒",
    "朝鲁",
    "哈斯",
    "乌日娜",
    "萨仁",
    "阿拉坦",
    "宝音",
    "图雅",
    "敖登",
    "巴雅尔",
    "孟和",
    "娜仁花",
    "布和",
    "乌兰",
    "额日和木",
    "吉日嘎拉",
    "白音",
    "达来",
    "其其格",
    "特木尔",
    "满都拉",
    "塔娜",
    "桑布",
)

_SURNAME_VALUES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]


def chinese_name(rng: random.Random) -> str:
    surname = rng.choices(_SURNAME_VALUES, _SURNAME_WEIGHTS)[0]
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(length))


def person_name(rng: random.Random, mongolian_share: float = 0.09) -> str:
    """A name as Hohhot's registry holds them: about one in eleven Mongolian."""
    if rng.random() < mongolian_share:
        return rng.choice(MONGOLIAN_NAMES)
    return chinese_name(rng)


# Given-name characters by sex, for generated residents (the registry checks sex against the ID).
MALE_CHARS = (
    "伟强磊军洋勇杰涛明超刚平辉建国华斌鹏飞宇浩晨阳俊豪博文轩然志永德振海春林峰波宁亮"
    "成龙凯旭东新立庆福生兵毅松涌诚坤锋鑫瑞睿哲铭昊天佑子墨一鸣思远嘉懿"
)
FEMALE_CHARS = (
    "芳娜秀英敏静丽艳娟霞桂兰萍红玲燕凤洁梅琳素云莲真雪荣爱妹彩春菊淑惠珍"
    "欣怡涵萱桐琪婷雅晓梦诗若曦可馨悦佳颖慧婉瑶妍蕾薇"
)
# Mongolian personal names are written in Chinese characters as whole names (no surname); a
# two-part name (e.g. 额尔敦巴特尔) is common, so combine parts for variety.
MONGOLIAN_MALE = (
    "巴特尔",
    "额尔敦",
    "那仁",
    "苏和",
    "朝鲁",
    "哈斯",
    "阿拉坦",
    "宝音",
    "巴雅尔",
    "孟和",
    "布和",
    "白音",
    "达来",
    "特木尔",
    "满都拉",
    "桑布",
    "毕力格",
    "乌力吉",
    "额尔德尼",
    "朝克图",
    "吉日嘎拉",
    "巴图",
    "图门",
    "达布希拉图",
    "额日和木",
    "那顺",
    "胡日查",
    "格根",
    "伊德尔",
    "恩和",
)
MONGOLIAN_FEMALE = (
    "其木格",
    "乌云",
    "斯琴",
    "格日勒",
    "乌日娜",
    "萨仁",
    "图雅",
    "敖登",
    "娜仁花",
    "乌兰",
    "其其格",
    "塔娜",
    "高娃",
    "苏日娜",
    "托娅",
    "阿茹娜",
    "萨日娜",
    "琪琪格",
    "乌仁",
    "娜日苏",
    "额尔敦其其格",
    "斯琴高娃",
    "乌云毕力格",
    "包格日乐",
    "赛音",
    "明花",
    "达古拉",
    "索布德",
)
MONGOLIAN_PREFIXES = (
    "额尔敦",
    "斯琴",
    "阿拉坦",
    "乌云",
    "格日勒",
    "萨仁",
    "那仁",
    "孟和",
    "宝音",
    "苏和",
    "哈斯",
)


def given_name(rng: random.Random, sex: str, length: int | None = None) -> str:
    chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
    if length is None:
        length = 1 if rng.random() < 0.3 else 2
    return "".join(rng.choice(chars) for _ in range(length))


_SURNAME_CUMULATIVE = list(itertools.accumulate(_SURNAME_WEIGHTS))


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_VALUES, cum_weights=_SURNAME_CUMULATIVE)[0]


def mongolian_name(rng: random.Random, sex: str) -> str:
    names = MONGOLIAN_MALE if sex == "M" else MONGOLIAN_FEMALE
    name = rng.choice(names)
    if rng.random() < 0.3:
        prefix = rng.choice(MONGOLIAN_PREFIXES)
        if not name.startswith(prefix):
            name = prefix + name
    return name


def resident_name(
    rng: random.Random, sex: str, *, family_surname: str | None = None, mongolian: bool = False
) -> str:
    """A resident's name for their sex; children usually share the family's surname."""
    if mongolian:
        return mongolian_name(rng, sex)
    return (family_surname or surname(rng)) + given_name(rng, sex)
