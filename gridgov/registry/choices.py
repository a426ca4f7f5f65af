from django.db import models
from django.utils.translation import gettext_lazy as _

ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
assert len(ETHNICITIES) == 56


class HouseholdKind(models.TextChoices):
    REGISTERED = "registered", _("户籍户")
    NONLOCAL = "nonlocal", _("流动户")
    RENTING = "renting", _("出租户")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DISSOLVED = "dissolved", _("已注销")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Relation(models.TextChoices):
    """Relation to the head of household: the groups of GB/T 4761 (家庭关系代码), with in-laws and
    other relatives apart from the blood relations they are filed under there (a 儿媳 is not a
    子女 on a grid worker's screen). gridgov.registry.vocabulary maps every term of the code list
    and the everyday words onto these."""

    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    PARENT = "parent", _("父母")
    PARENT_IN_LAW = "parent_in_law", _("公婆/岳父母")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    SIBLING_IN_LAW = "sibling_in_law", _("嫂/弟媳/姐夫/妹夫")
    RELATIVE = "relative", _("其他亲属")
    TENANT = "tenant", _("租户")
    OTHER = "other", _("其他")


class ResidenceStatus(models.TextChoices):
    PRESENT = "present", _("在住")
    AWAY = "away", _("外出")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已死亡")


class CareTag(models.TextChoices):
    ELDERLY = "elderly", _("60岁以上")
    ALONE = "alone", _("独居")
    DISABLED = "disabled", _("残疾")
    SUBSISTENCE = "subsistence", _("低保")
    VETERAN = "veteran", _("退役军人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    LEFT_BEHIND_ELDER = "left_behind_elder", _("留守老人")
    SERIOUS_ILLNESS = "serious_illness", _("大病")
    EXTREME_POVERTY = "extreme_poverty", _("特困")


class SpecialTag(models.TextChoices):
    """Special populations: visible only to roles granted them; others cannot tell they exist."""

    COMMUNITY_CORRECTION = "community_correction", _("社区矫正")
    RELEASED_PRISONER = "released_prisoner", _("刑满释放")
    SEVERE_MENTAL_DISORDER = "severe_mental_disorder", _("严重精神障碍")
    DRUG_REHABILITATION = "drug_rehabilitation", _("社区戒毒康复")


class LifeEventKind(models.TextChoices):
    MOVE_IN = "move_in", _("迁入")
    MOVE_OUT = "move_out", _("迁出")
    TRANSFER = "transfer", _("市内迁移")
    BIRTH = "birth", _("出生")
    DEATH = "death", _("死亡")
