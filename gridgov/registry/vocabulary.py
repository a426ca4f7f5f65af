"""What clerks and household registers write, mapped onto the model's values.

Data only (no parsing): the family-relation code list of GB/T 4761-2008 with the everyday words
beside it, the short forms of the 56 ethnic groups (GB/T 3304 order and codes), and the words
for sex. `gridgov.registry.validation` turns a cell into a value with these tables.
"""

from gridgov.registry.choices import ETHNICITIES, CareTag, HouseholdKind, Relation, ResidenceStatus, Sex

# GB/T 4761-2008 家庭关系代码: code → (the register's term, the model's relation).
# A term with "或"/"、" lists several words, each accepted on its own ("养子或继子": 养子, 继子).
GB4761: dict[str, tuple[str, str]] = {
    "01": ("本人", Relation.HEAD),
    "02": ("户主", Relation.HEAD),
    "10": ("配偶", Relation.SPOUSE),
    "11": ("夫", Relation.SPOUSE),
    "12": ("妻", Relation.SPOUSE),
    "20": ("子", Relation.CHILD),
    "21": ("独生子", Relation.CHILD),
    "22": ("长子", Relation.CHILD),
    "23": ("次子", Relation.CHILD),
    "24": ("三子", Relation.CHILD),
    "25": ("四子", Relation.CHILD),
    "26": ("五子", Relation.CHILD),
    "27": ("养子或继子", Relation.CHILD),
    "28": ("女婿", Relation.CHILD_IN_LAW),
    "29": ("其他儿子", Relation.CHILD),
    "30": ("女", Relation.CHILD),
    "31": ("独生女", Relation.CHILD),
    "32": ("长女", Relation.CHILD),
    "33": ("次女", Relation.CHILD),
    "34": ("三女", Relation.CHILD),
    "35": ("四女", Relation.CHILD),
    "36": ("五女", Relation.CHILD),
    "37": ("养女或继女", Relation.CHILD),
    "38": ("儿媳", Relation.CHILD_IN_LAW),
    "39": ("其他女儿", Relation.CHILD),
    "40": ("孙子、孙女或外孙子、外孙女", Relation.GRANDCHILD),
    "41": ("孙子", Relation.GRANDCHILD),
    "42": ("孙女", Relation.GRANDCHILD),
    "43": ("外孙子", Relation.GRANDCHILD),
    "44": ("外孙女", Relation.GRANDCHILD),
    "45": ("孙媳妇或外孙媳妇", Relation.GRANDCHILD),
    "46": ("孙女婿或外孙女婿", Relation.GRANDCHILD),
    "47": ("曾孙子或外曾孙子", Relation.GRANDCHILD),
    "48": ("曾孙女或外曾孙女", Relation.GRANDCHILD),
    "49": ("其他孙子、孙女或外孙子、外孙女", Relation.GRANDCHILD),
    "50": ("父母", Relation.PARENT),
    "51": ("父亲", Relation.PARENT),
    "52": ("母亲", Relation.PARENT),
    "53": ("公公", Relation.PARENT_IN_LAW),
    "54": ("婆婆", Relation.PARENT_IN_LAW),
    "55": ("岳父", Relation.PARENT_IN_LAW),
    "56": ("岳母", Relation.PARENT_IN_LAW),
    "57": ("继父或养父", Relation.PARENT),
    "58": ("继母或养母", Relation.PARENT),
    "59": ("其他父母关系", Relation.PARENT),
    "60": ("祖父母或外祖父母", Relation.GRANDPARENT),
    "61": ("祖父", Relation.GRANDPARENT),
    "62": ("祖母", Relation.GRANDPARENT),
    "63": ("外祖父", Relation.GRANDPARENT),
    "64": ("外祖母", Relation.GRANDPARENT),
    "65": ("配偶的祖父母或外祖父母", Relation.GRANDPARENT),
    "66": ("曾祖父", Relation.GRANDPARENT),
    "67": ("曾祖母", Relation.GRANDPARENT),
    "68": ("配偶的曾祖父母或外曾祖父母", Relation.GRANDPARENT),
    "69": ("其他祖父母或外祖父母", Relation.GRANDPARENT),
    "70": ("兄弟姐妹", Relation.SIBLING),
    "71": ("兄", Relation.SIBLING),
    "72": ("嫂", Relation.SIBLING_IN_LAW),
    "73": ("弟", Relation.SIBLING),
    "74": ("弟媳", Relation.SIBLING_IN_LAW),
    "75": ("姐姐", Relation.SIBLING),
    "76": ("姐夫", Relation.SIBLING_IN_LAW),
    "77": ("妹妹", Relation.SIBLING),
    "78": ("妹夫", Relation.SIBLING_IN_LAW),
    "79": ("其他兄弟姐妹", Relation.SIBLING),
    "80": ("其他", Relation.OTHER),
    "81": ("伯父", Relation.RELATIVE),
    "82": ("伯母", Relation.RELATIVE),
    "83": ("叔父", Relation.RELATIVE),
    "84": ("婶母", Relation.RELATIVE),
    "85": ("舅父", Relation.RELATIVE),
    "86": ("舅母", Relation.RELATIVE),
    "87": ("姨父", Relation.RELATIVE),
    "88": ("姨母", Relation.RELATIVE),
    "89": ("姑父", Relation.RELATIVE),
    "90": ("姑母", Relation.RELATIVE),
    "91": ("堂兄弟、堂姐妹", Relation.RELATIVE),
    "92": ("表兄弟、表姐妹", Relation.RELATIVE),
    "93": ("侄子", Relation.RELATIVE),
    "94": ("侄女", Relation.RELATIVE),
    "95": ("外甥", Relation.RELATIVE),
    "96": ("外甥女", Relation.RELATIVE),
    "97": ("其他亲属", Relation.RELATIVE),
    "99": ("非亲属", Relation.OTHER),
}

# Everyday words for the same relations (what a clerk types rather than the register's term).
EVERYDAY_RELATIONS: dict[str, str] = {
    "户主本人": Relation.HEAD,
    "丈夫": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "老公": Relation.SPOUSE,
    "老婆": Relation.SPOUSE,
    "爱人": Relation.SPOUSE,
    "老伴": Relation.SPOUSE,
    "老伴儿": Relation.SPOUSE,
    "之妻": Relation.SPOUSE,
    "之夫": Relation.SPOUSE,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "独子": Relation.CHILD,
    "独女": Relation.CHILD,
    "养子": Relation.CHILD,
    "继子": Relation.CHILD,
    "养女": Relation.CHILD,
    "继女": Relation.CHILD,
    "子女": Relation.CHILD,
    "儿女": Relation.CHILD,
    "之子": Relation.CHILD,
    "之女": Relation.CHILD,
    "儿媳妇": Relation.CHILD_IN_LAW,
    "孙": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "长孙": Relation.GRANDCHILD,
    "孙媳": Relation.GRANDCHILD,
    "曾孙": Relation.GRANDCHILD,
    "孙子女": Relation.GRANDCHILD,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "爸爸": Relation.PARENT,
    "妈妈": Relation.PARENT,
    "继父": Relation.PARENT,
    "继母": Relation.PARENT,
    "养父": Relation.PARENT,
    "养母": Relation.PARENT,
    "丈人": Relation.PARENT_IN_LAW,
    "岳父母": Relation.PARENT_IN_LAW,
    "丈母娘": Relation.PARENT_IN_LAW,
    "公婆": Relation.PARENT_IN_LAW,
    "祖父母": Relation.GRANDPARENT,
    "外祖父母": Relation.GRANDPARENT,
    "爷爷": Relation.GRANDPARENT,
    "奶奶": Relation.GRANDPARENT,
    "外公": Relation.GRANDPARENT,
    "外婆": Relation.GRANDPARENT,
    "姥爷": Relation.GRANDPARENT,
    "姥姥": Relation.GRANDPARENT,
    "哥哥": Relation.SIBLING,
    "哥": Relation.SIBLING,
    "弟弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "兄弟": Relation.SIBLING,
    "姐妹": Relation.SIBLING,
    "嫂子": Relation.SIBLING_IN_LAW,
    "弟妹": Relation.SIBLING_IN_LAW,
    "伯伯": Relation.RELATIVE,
    "叔叔": Relation.RELATIVE,
    "婶婶": Relation.RELATIVE,
    "舅舅": Relation.RELATIVE,
    "舅妈": Relation.RELATIVE,
    "姨妈": Relation.RELATIVE,
    "姨夫": Relation.RELATIVE,
    "姑妈": Relation.RELATIVE,
    "姑姑": Relation.RELATIVE,
    "侄儿": Relation.RELATIVE,
    "亲属": Relation.RELATIVE,
    "亲戚": Relation.RELATIVE,
    "租户": Relation.TENANT,
    "租客": Relation.TENANT,
    "房客": Relation.TENANT,
    "承租人": Relation.TENANT,
    "保姆": Relation.OTHER,
    "朋友": Relation.OTHER,
    "同事": Relation.OTHER,
    "借住": Relation.OTHER,
    "同住人": Relation.OTHER,
}

# Words that mean two different relations: refused with the choice spelled out.
AMBIGUOUS_RELATIONS: dict[str, str] = {
    "媳妇": "“媳妇”可能指妻子，也可能指儿媳；请写“配偶”或“儿媳”",
}


def _relation_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for _code, (term, relation) in GB4761.items():
        words[term] = relation
        for part in term.replace("或", "、").split("、"):
            words.setdefault(part, relation)
    # "孙子、孙女或外孙子、外孙女" splits into its own words above; the group term itself also stays.
    words.update(EVERYDAY_RELATIONS)
    return words


RELATION_WORDS: dict[str, str] = _relation_words()

# Ethnic groups (GB/T 3304 order: the position is the code, 01 汉族 … 56 基诺族): what people
# write besides the full name and the name without 族 (both always accepted).
ETHNIC_SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "汉族": ("汉",),
    "蒙古族": ("蒙", "蒙族", "蒙古人"),
    "回族": ("回",),
    "藏族": ("藏",),
    "维吾尔族": ("维", "维族", "维吾尔"),
    "苗族": ("苗",),
    "彝族": ("彝",),
    "壮族": ("壮", "僮族"),
    "布依族": ("布依",),
    "朝鲜族": ("朝族", "朝"),
    "满族": ("满", "满洲族"),
    "侗族": ("侗",),
    "瑶族": ("瑶",),
    "白族": ("白",),
    "土家族": ("土家",),
    "哈尼族": ("哈尼",),
    "哈萨克族": ("哈族", "哈萨克"),
    "傣族": ("傣",),
    "黎族": ("黎",),
    "傈僳族": ("傈僳",),
    "佤族": ("佤",),
    "畲族": ("畲",),
    "高山族": ("高山",),
    "拉祜族": ("拉祜",),
    "水族": ("水",),
    "东乡族": ("东乡",),
    "纳西族": ("纳西",),
    "景颇族": ("景颇",),
    "柯尔克孜族": ("柯族", "柯尔克孜"),
    "土族": ("土",),
    "达斡尔族": ("达族", "达斡尔", "达呼尔族"),
    "仫佬族": ("仫佬",),
    "羌族": ("羌",),
    "布朗族": ("布朗",),
    "撒拉族": ("撒拉",),
    "毛南族": ("毛南", "毛难族"),
    "仡佬族": ("仡佬",),
    "锡伯族": ("锡伯", "锡族"),
    "阿昌族": ("阿昌",),
    "普米族": ("普米",),
    "塔吉克族": ("塔吉克",),
    "怒族": ("怒",),
    "乌孜别克族": ("乌孜别克", "乌族"),
    "俄罗斯族": ("俄罗斯", "俄族"),
    "鄂温克族": ("鄂温克", "索伦"),
    "德昂族": ("德昂", "崩龙族"),
    "保安族": ("保安",),
    "裕固族": ("裕固",),
    "京族": ("京",),
    "塔塔尔族": ("塔塔尔",),
    "独龙族": ("独龙",),
    "鄂伦春族": ("鄂伦春",),
    "赫哲族": ("赫哲",),
    "门巴族": ("门巴",),
    "珞巴族": ("珞巴",),
    "基诺族": ("基诺",),
}
assert list(ETHNIC_SHORT_FORMS) == ETHNICITIES

# Short forms that two groups share: refused with both named.
AMBIGUOUS_ETHNIC: dict[str, tuple[str, str]] = {
    "鄂族": ("鄂温克族", "鄂伦春族"),
    "塔族": ("塔吉克族", "塔塔尔族"),
    "哈": ("哈萨克族", "哈尼族"),
    "布族": ("布依族", "布朗族"),
}


def _ethnic_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for position, (name, shorts) in enumerate(ETHNIC_SHORT_FORMS.items(), start=1):
        words[name] = name
        words[name.removesuffix("族")] = name
        words[name + "人"] = name
        words[f"{position:02d}"] = name  # GB/T 3304 code, as registers export it
        for short in shorts:
            words[short] = name
    return words


ETHNIC_WORDS: dict[str, str] = _ethnic_words()

# Sex as written (GB/T 2261.1 codes 1 and 2 included); "not stated" words mean a blank cell.
SEX_WORDS: dict[str, str] = {
    "男": Sex.MALE,
    "女": Sex.FEMALE,
    "男性": Sex.MALE,
    "女性": Sex.FEMALE,
    "男士": Sex.MALE,
    "女士": Sex.FEMALE,
    "男的": Sex.MALE,
    "女的": Sex.FEMALE,
    "男生": Sex.MALE,
    "女生": Sex.FEMALE,
    "男人": Sex.MALE,
    "女人": Sex.FEMALE,
    "男子": Sex.MALE,
    "女子": Sex.FEMALE,
    "♂": Sex.MALE,
    "♀": Sex.FEMALE,
    "1": Sex.MALE,
    "2": Sex.FEMALE,
    "m": Sex.MALE,
    "f": Sex.FEMALE,
    "male": Sex.MALE,
    "female": Sex.FEMALE,
}
SEX_NOT_STATED = frozenset({"0", "9", "未知", "未说明", "不详", "-", "/", "无"})

# Household kinds, residence status and care tags as sheets write them.
HOUSEHOLD_KIND_WORDS: dict[str, str] = {
    "户籍": HouseholdKind.REGISTERED,
    "本地": HouseholdKind.REGISTERED,
    "本地户": HouseholdKind.REGISTERED,
    "常住户": HouseholdKind.REGISTERED,
    "户籍人口": HouseholdKind.REGISTERED,
    "人户一致": HouseholdKind.REGISTERED,
    "流动": HouseholdKind.NONLOCAL,
    "流动人口": HouseholdKind.NONLOCAL,
    "外来": HouseholdKind.NONLOCAL,
    "外来户": HouseholdKind.NONLOCAL,
    "外来人口": HouseholdKind.NONLOCAL,
    "外地": HouseholdKind.NONLOCAL,
    "出租": HouseholdKind.RENTING,
    "租户": HouseholdKind.RENTING,
    "租房": HouseholdKind.RENTING,
    "租住": HouseholdKind.RENTING,
    "出租房": HouseholdKind.RENTING,
}
RESIDENCE_STATUS_WORDS: dict[str, str] = {
    "在家": ResidenceStatus.PRESENT,
    "常住": ResidenceStatus.PRESENT,
    "居住": ResidenceStatus.PRESENT,
    "现住": ResidenceStatus.PRESENT,
    "人在户在": ResidenceStatus.PRESENT,
    "不在家": ResidenceStatus.AWAY,
    "外出务工": ResidenceStatus.AWAY,
    "外出打工": ResidenceStatus.AWAY,
    "外出上学": ResidenceStatus.AWAY,
    "人在外": ResidenceStatus.AWAY,
    "户在人不在": ResidenceStatus.AWAY,
}
CARE_TAG_WORDS: dict[str, str] = {
    "老年人": CareTag.ELDERLY,
    "60周岁以上": CareTag.ELDERLY,
    "独居老人": CareTag.ALONE,
    "空巢": CareTag.ALONE,
    "空巢老人": CareTag.ALONE,
    "残疾人": CareTag.DISABLED,
    "残障": CareTag.DISABLED,
    "低保户": CareTag.SUBSISTENCE,
    "低保对象": CareTag.SUBSISTENCE,
    "最低生活保障": CareTag.SUBSISTENCE,
    "退伍军人": CareTag.VETERAN,
    "复员军人": CareTag.VETERAN,
    "转业军人": CareTag.VETERAN,
    "特困户": CareTag.EXTREME_POVERTY,
    "特困人员": CareTag.EXTREME_POVERTY,
    "特困供养": CareTag.EXTREME_POVERTY,
    "五保户": CareTag.EXTREME_POVERTY,
    "大病患者": CareTag.SERIOUS_ILLNESS,
    "重病": CareTag.SERIOUS_ILLNESS,
}
