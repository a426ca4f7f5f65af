"""Harm intent in free text (矛盾纠纷风险研判): threats of violence, self-harm, arson and weapons,
found by pattern rather than by a list of fixed phrases.

A threat is a harm verb (打, 揍, 削, 收拾, 弄, 砍, 捅, 杀 …) whose object is a person (我/你/他,
那家人, 老王, 刘某, 房东 …, or "把…" before the verb), with an intent or modal marker where the verb
alone is ambiguous (要, 非…不可, 信不信, 迟早, 再…就, 看我不 …); or a self-harm expression
(不想活, 跳楼, 喝药 …); arson and explosives (放火, 烧了他家, 炸了 …); acid; a weapon carried
(拿刀, 提着刀, 带着钢管 …); a veiled threat (要你好看, 饶不了他, 报复 …); or violence already
used between the parties (打起来了, 把我老公打伤了, 肢体冲突).

Levels: **critical** for lethal intent (杀, 砍/捅 a person, 同归于尽, 偿命), knives and guns,
arson, explosives, acid and self-harm; **high** for everything else found, including 打死/弄死
said in anger (a common hyperbole) and blunt weapons.

Decisions, each pinned by the labelled set in tests/disputes/data/threat_phrasings.tsv:
- Word segmentation libraries (jieba and the like) were tried and not used: the everyday
  compounds that contain a harm verb (打电话, 打车, 杀毒, 砍价 …) have to be listed either way,
  the dictionary segments chat text wrongly where it matters (信不信/我削/你), and loading it
  costs about a second and tens of megabytes in every process. Patterns over a normalised text
  (NFKC, no spaces, no emoji or sticker codes) are explicit, fast and tested.
- Negation (不会打人, 没打算动手, 别想不开, 无过激言行) cancels a finding when it governs the
  verb: within a few characters, with no conditional (就, 将, 否则) or new subject in between,
  so 他不给钱我就跳楼 is still a threat; double negatives (不打他一顿不解气, 不弄死他我就不姓王,
  看我不揍死你) are threats.
- Reported speech keeps its level (他说要打人, 扬言, 在群里放话): that is how a threat reaches a
  grid worker, and a threat said once stays live until mediated. News, videos, hearsay about
  other places and publicity (新闻里说有人打人, 普法讲座) are not threats: a sentence that frames
  itself that way is skipped.
- A question about the law or a possibility (打人犯法吗, 他会不会打人) is not a threat, except the
  rhetorical ones that are (信不信我削你, 试试).
"""

import re
import unicodedata
from dataclasses import dataclass

from gridgov.core.names import SURNAMES

HIGH = "high"
CRITICAL = "critical"


@dataclass(frozen=True)
class Finding:
    kind: str  # harm | weapon | arson | acid | self_harm | lethal | veiled | fight
    level: str
    phrase: str


KIND_LABELS = {
    "harm": "伤人",
    "weapon": "持械",
    "arson": "纵火爆炸",
    "acid": "泼洒危险品",
    "self_harm": "轻生",
    "lethal": "致命威胁",
    "veiled": "威胁报复",
    "fight": "肢体冲突",
}


def _alt(words: str) -> str:
    """A regex alternation of "a|b|c", longest first (so 物业经理 wins over 物业)."""
    return "|".join(sorted({re.escape(w) for w in words.split("|")}, key=lambda w: (-len(w), w)))


# ------------------------------------------------------------------------------- normalising

_STICKER = re.compile(r"\[[^\[\]]{1,6}\]")  # WeChat sticker codes: [捂脸] [怒]
_MENTION = re.compile(r"@[^\s@，,。！!？?]{1,16}\s?")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_ELLIPSIS = re.compile(r"…+|\.{3,}|。{2,}")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, no stickers, mentions, emoji or spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _STICKER.sub("", text)
    text = _MENTION.sub("", text)
    text = _ELLIPSIS.sub("，", text)
    text = "".join(
        c for c in text if ord(c) <= 0xFFFF and unicodedata.category(c) not in ("So", "Sk", "Cf", "Co", "Cs")
    )
    return _SPACES.sub("", text).lower()


# --------------------------------------------------------------- everyday compounds (masked)

_TOOLS = "电话|手机|座机|视频|语音|微信"
# Words built on a harm verb that mean something else. Masked before matching (same length, so
# positions still point into the text). 打算 becomes an intent marker rather than disappearing.
_BENIGN = re.compile(
    "|".join(
        [
            rf"打(?:了|过|个|通|一个)*(?:[你我他她]们?)?的?(?:{_TOOLS})",
            rf"(?:{_TOOLS})打",
            "(?<![腿手臂膊])打折|打(?:扫|听|印|针|卡|工|球|篮球|羽毛球|乒乓球?|麻将|牌|扑克|游戏|包|开|扰|理|字|水|气"
            "|扮|量|捞|击|鸣|呼|喷嚏|哈欠|雷|烊|表|井|蜡|磨|孔|洞|桩|饭|酱油|发|探|通|造|转|滑|结"
            "|分|样|款|钱|火机|底|盹|瞌睡|补丁|点滴|吊针|疫苗|伞|官司|官腔|交道|招呼|岔|趣|包票|保票"
            "|头阵|下手|比方|擦边球|水漂|成一片|主意|心眼|消|破|响|赢|输|拼|基础|牢|好|起精神|车"
            "|老虎|黑|假|非|拐|农药|杀虫药|药|码|赌|车票|退堂鼓|圆场|马虎眼|哈哈|太极|石膏|麻药|封闭|胰岛素|绷带|掉)",
            "打(?:了|个|一)+(?:个|声)?(?:赌|招呼|电话|车|卡|折|针|饭|包|比方|石膏)",
            # Hyperbole: 累得我想跳楼, 热得想死.
            "[累热吵烦忙困饿冷气闷滴晒挤]得(?:我|人)?都?想(?:跳楼|死|撞墙)",
            "打(?:了|过)?一辈子交道",
            "打打杀杀",
            "打算",
            "杀(?:毒|虫|菌|价|熟|跌|青|手锏|鸡|鸭|鱼|猪|羊|牛|时间)",
            "(?:秒|抹|扼)杀",
            "砍(?:价|树|柴|伐|掉预算)",
            "(?:帮我|帮忙|拼多多)砍一刀",
            "削(?:苹果|皮|铅笔|减|弱|发)",
            "剥削|刀削面|开刀|磨刀|刀子嘴|刀片|刀具",
            "捅(?:娄子|破|马蜂窝|咕)",
            "烧(?:水|饭|菜|烤|纸|香|饼|麦|卖|鸡|钱|脑|开|火做饭)|(?:发|高|退|低|红)烧",
            "炸(?:鸡|串|酱|锅|开了?锅|薯条|糕|年糕)|油炸|气炸|炸了锅|炸开了",
            "跳楼价|跳进黄河也洗不清|跳进黄河",
            "报复性消费",
            "动手术",
            r"动手(?=打扫|收拾|做|修|装|搬|清理|包饺子)",
            "点(?:火做饭|火烧水|外卖|菜|赞|不着火)",
            "砸(?:到|中)",
            "要命",
            "打死也不|打死都不|打死我也不",
        ]
    )
)
_INTENT_WORD = {"打算": "想想"}


def _mask(text: str) -> str:
    return _BENIGN.sub(lambda m: _INTENT_WORD.get(m.group(0), "〇" * len(m.group(0))), text)


# --------------------------------------------------------------------------------- who is hurt

_SURNAME = "[" + "".join(s for s, _ in SURNAMES if len(s) == 1) + "]"
_PRONOUN = _alt("你们|我们|他们|她们|咱们|人家|你|我|他|她|您|谁|咱")
_PEOPLE = _alt(
    "老婆|老公|媳妇|丈夫|妻子|男人|女人|孩子|儿子|女儿|闺女|老人|老头|老头子|老太太|老太婆|老婆子|老娘|老爹|大爷|大妈|大娘|阿姨|叔叔|邻居|对门|楼上|楼下|"
    "房东|租户|业主|物业经理|物业的人|经理|老板|保安|保洁|网格员|举报人|小子|孙子|畜生|畜牲|王八蛋|混蛋|狗东西|女的|男的|男方|女方|对方|那人|这人|家伙|这货|"
    "那货|全家|一家|一家人|家人|那家人|这家人|那家|那户|两口子|俩人|那俩|小孩|司机|师傅|干部|主任|书记|物业|人"
)
_NAME = (
    rf"[老小阿]{_SURNAME}|{_SURNAME}(?:某某|某|总|经理|师傅|大爷|大妈|大姐|姐|哥|老师|书记|主任|叔|婶)"
    rf"|{_SURNAME}[\u4e00-\u9fff]{{1,2}}(?=一顿|一下|了|个|得|两|几|$)"
)
_DEMONSTRATIVE = "这个|那个|这些|那些|这俩|那俩|这帮|那帮|这|那"
_LOCATIVE = r"(?:(?:[\d一二三四五六七八九十]+(?:楼|层|号楼?|单元)|楼上|楼下|对门|隔壁)的?)"
_UNIT = rf"{_LOCATIVE}?(?:{_DEMONSTRATIVE})?(?:{_PEOPLE}|{_NAME}|{_PRONOUN})"
_BODY = "狗腿|腿|手|胳膊|脸|头|脑袋|牙|嘴|肋骨|眼睛|鼻子"
PERSON = rf"{_UNIT}(?:(?:的|家|那个|那|这个|这)?{_UNIT}){{0,2}}(?:的?(?:{_BODY}))?"
_PERSON_START = re.compile(PERSON)
_PERSON_WHOLE = re.compile(rf"(?:{PERSON})(?:都|全|全都|给|也|一下)?")
_VICTIM = re.compile(rf"(?:{PERSON})(?:又|都|也|已经|差点|昨天|今天|经常|曾)*$")
_THING_AFTER = re.compile(rf"(?:的|家的?)(?!{_UNIT}|{_BODY})|{_TOOLS}")
_HOUSEHOLD_AFTER = re.compile(r"家(?:$|[，,])")

# -------------------------------------------------------------------------------- harm verbs

# Class: "kill" (critical on a person), "beat" (a person as object is enough), "weak" (ambiguous
# on its own: needs an intent marker, a direct "你", a result or a past act).
_VERBS = {
    "kill": "杀|宰|砍|捅|劈|剁|刺|毒死|掐死|勒死|砸死|撞死|烧死|炸死",
    "beat": "殴打|暴打|痛打|毒打|围殴|打|揍|踹|扇|掐|捶|锤|废|削",
    "weak": "教训教训|教训|修理|收拾|弄|整|办|搞|干|抽|踢|推|动|撕",
}
_VERB = re.compile(
    "(?P<verb>"
    + "|".join(f"(?P<{k}>{v})" for k, v in _VERBS.items())
    + ")(?P<result>死|残|伤|断|折|瘸|烂|趴下|趴|扁|翻|倒|废|哭|服|晕)?(?P<aspect>了|过)?"
)
_INTENT = re.compile(
    "要|想|会|去|来|就|准备|一定|必须|非|迟早|早晚|等着|信不信|看我不|敢|找人|带人|叫人|喊人|让你"
    "|扬言|放话|威胁|声称|试试|恨不得|马上|立马|现在就|今天就|今晚|明天|第一个|经常|又|总是|老是"
    "|动不动|天天|上去|下去|过去|上楼|下楼|见一次"
)
_AFTER_OBJECT = re.compile("一顿|个半死|两巴掌|一巴掌|几下|一下|了|信不信|试试")

# ------------------------------------------------------------------ phrases and other patterns

_NEEDS_INTENT = "needs-intent"
_PHRASES: list[tuple[str, str, re.Pattern[str], bool]] = [
    (
        "self_harm",
        CRITICAL,
        re.compile(
            "不想活|活不下去|活着没意思|活着没劲|不活了|寻死|自杀|轻生|寻短见|跳楼|跳河|跳湖|跳江|跳海"
            "|跳黄河|喝药|喝农药|喝了农药|吃农药|喝敌敌畏|割腕|上吊|一了百了|死给|这条命不要了"
            "|命不要了|大不了一死|不如死了|死了算了|想不开|做傻事|卧轨|不想再活|活着太累|自焚|自残|自尽"
            "|结束自己的生命|结束生命|了结自己|遗书"
            "|(?:站|坐|爬)(?:在|上|到)(?:窗台|楼顶|天台|房顶|屋顶|塔吊|桥栏|护栏|楼顶边|高处)"
        ),
        False,
    ),
    ("self_harm", CRITICAL, re.compile(r"跳下去|跳下来|去死|死在.{0,8}(?:门口|面前|这里|家里|办公室)"), True),
    (
        "lethal",
        CRITICAL,
        re.compile(
            rf"同归于尽|一起死|一起完蛋|都别活|谁也别想活|偿命|灭门|灭了(?:{_PRONOUN})|拉.{{0,3}}垫背|血洗|要(?:你|他|她)的?狗?命"
            "|极端(?:手段|行为|方式|事件)"
        ),
        False,
    ),
    (
        "veiled",
        HIGH,
        re.compile(
            "(?:要|让|有|给)(?:你|他|她|你们|他们)好看|给(?:你|他|她)(?:们)?点颜色|吃不了兜着走|饶不了"
            "|不会放过|绝不放过|决不放过|不放过|等着瞧|走着瞧|你给我等着|报复|报仇|算总账|别想好过"
            "|不得安宁|见一次打一次|有你受的|出门小心|走路小心|小心你的|让你后悔"
            "|让(?:你|他|她)(?:们)?(?:在.{0,8})?(?:住|待|呆|混|活)不下去"
        ),
        False,
    ),
    (
        "fight",
        HIGH,
        re.compile(
            "动手|动起手|扭打|厮打|互殴|打成一团|揪打|推下楼|打架|干架|干一架|打一架|约架|单挑|打起来|拼命|拼了|斗殴|推搡|肢体冲突"
            "|暴力(?:手段|解决|倾向)|家暴|家庭暴力|过激(?:言行|言语|言论|行为)|民转刑|出人命|见血|放血"
            "|往死里(?:打|揍|弄|整)"
            "|鱼死网破|豁出去"
        ),
        False,
    ),
]
_BLADE = "菜刀|砍刀|西瓜刀|水果刀|匕首|刀子|刀|斧头|斧子|猎枪|枪|弓弩|弩"
_BLUNT = "棒球棍|棍子|棍|棒子|棒|钢管|铁棍|铁锹|砖头|锤子|榔头|扳手"
_WEAPON = re.compile(
    rf"(?:拿|提|带|揣|抄|举|拎|掏|持|握|操|动|扛|用)(?:着|了|起|出|上)?(?:一)?(?:把|根|个)?"
    rf"(?:(?P<blade>{_BLADE})|(?P<blunt>{_BLUNT}))"
)
_PLACES = "家|房子|房|屋|车|公司|办公室|单位|店|铺|楼|厂|工地|项目部|仓库|物业|学校|社区|门|窗"
_TARGET = rf"(?:{PERSON})?(?:{_PLACES})|它|{_PRONOUN}"
_ARSON = re.compile(
    rf"放火|纵火|一把火|点火(?!做饭|烧饭|取暖|烧水)|(?:烧|点|炸)(?:了|掉|毁|平)(?:{_TARGET})"
    rf"|(?:倒|泼|浇|洒)(?:了|上)?汽油|汽油.{{0,4}}(?:烧|点)|炸药|雷管|引爆"
)
_PUT_TO = re.compile(r"把(?P<span>[^把将]{1,8}?)(?:都|全|给)?(?P<verb>烧|点|炸|砸)(?:了|掉|着|烂|毁)")
_PLACE = re.compile(rf"(?:{PERSON})|{_PLACES}")
_ACID = re.compile("(?:泼|浇|洒).{0,6}(?:硫酸|盐酸|强酸|火碱)|(?:硫酸|盐酸|强酸|火碱).{0,6}泼")
_SMASH = re.compile(rf"砸(?:了|烂|坏)?(?:{PERSON})?(?:家|门|窗|车|店|玻璃)")

# ----------------------------------------------------------- negation, questions and framing

_NEGATION = re.compile(
    "不要|不会|不想|不能|不准|不许|不该|不用|没有|从不|从来不|并未|毫无|并无|禁止|严禁|排除|避免"
    "|防止|杜绝|不|没|别|未|无|勿"
)
# Between a negation and the verb, any of these ends its reach: a conditional, a new subject.
_SCOPE_BREAK = re.compile(rf"就|才|便|则|将|否则|要不|不然|的话|(?<![跟和与对把给同向找让被])(?:{_PRONOUN})")
_DOUBLE_NEGATIVE = re.compile("不可|不解气|不解恨|不姓|不罢休|不甘休|不走|誓不为人|没完|不算完|不是人")
_QUESTION = re.compile(
    r"(?:吗|么|嘛)$|犯法|违法|怎么办|咋办|怎么处理|负什么责任|判几年|拘留几天|会不会|能不能|可不可以"
)
_RHETORICAL = re.compile("信不信|试试|是不是想|想挨|找打|找死")
_FRAME = re.compile(
    "新闻|报道|电视|电影|视频|抖音|快手|朋友圈|网上|微博|小说|头条|外地|隔壁县|别的小区|宣传|普法"
    "|讲座|案例|扫黑|防范|警示|开玩笑|开个玩笑|逗你玩|说着玩"
)
_SENTENCE = re.compile(r"[^。！!？?；;\n]+[。！!？?；;\n]*")
_CLAUSE = re.compile(r"[^，,、：:“”\"「」『』‘’()（）【】]+")


def _negated(clause: str, start: int, end: int) -> bool:
    before = clause[:start]
    found = None
    for found in _NEGATION.finditer(before):  # noqa: B007  the last one governs
        pass
    if found is None or start - found.end() > 8:
        return False
    if before[max(0, found.start() - 2) : found.end()] == "看我不":
        return False
    gap = before[found.end() :]
    if _SCOPE_BREAK.search(gap):
        return False
    # "我不打他打谁": the negation governs the first harm done to someone, not the second.
    if any(_object_after(gap, v.end()) for v in _VERB.finditer(gap)):
        return False
    return not _DOUBLE_NEGATIVE.search(clause[end:])


def _object_after(clause: str, at: int) -> str | None:
    """The person right after the verb ("人" for anyone), or None (a thing, a number, nothing)."""
    found = _PERSON_START.match(clause, at)
    if found is None:
        return None
    rest = clause[found.end() :]
    if _HOUSEHOLD_AFTER.match(rest):
        return found.group(0) + "家"
    if _THING_AFTER.match(rest):
        return None
    return found.group(0)


def _object_before(clause: str, at: int) -> tuple[str, bool] | None:
    """(person, passive) from "把/将 <person> <verb>" or "被 (<person>) <verb>" before `at`."""
    head = clause[:at]
    passive = re.search(rf"被(?:{PERSON})?$", head)
    if passive:
        # The one hurt stands before 被 (女方被推倒): a dog beaten by someone is not a threat.
        if not _VICTIM.search(head[: passive.start()]):
            return None
        return passive.group(0)[1:] or "被", True
    put = re.search(r"[把将]([^把将]{1,8})$", head)
    if put and _PERSON_WHOLE.fullmatch(put.group(1)):
        return put.group(1), False
    return None


def _harm(clause: str) -> list[tuple[int, int, Finding]]:
    found = []
    for m in _VERB.finditer(clause):
        kind = "kill" if m.group("kill") else "beat" if m.group("beat") else "weak"
        target = _object_after(clause, m.end())
        passive = False
        before = None
        if target is None:
            before = _object_before(clause, m.start())
            if before is not None:
                target, passive = before
        if target is None:
            continue
        end = m.end() + (len(target) if before is None else 0)
        after = clause[end:]
        head = clause[: m.start()]
        intent = bool(_INTENT.search(head) or _DOUBLE_NEGATIVE.search(after))
        act = bool(m.group("aspect") or m.group("result") or passive or _AFTER_OBJECT.match(after))
        if target == "人" and not (intent or act):
            continue  # "打人犯法" is about anyone, not a threat
        if kind == "weak" and not (intent or act or target.startswith("你")):
            continue
        lethal = kind == "kill"
        level = CRITICAL if lethal else HIGH
        start = m.start() if before is None else clause.rfind("把" if not passive else "被", 0, m.start())
        span_start = max(0, min(start, m.start()) - 2) if intent else min(start, m.start())
        found.append((m.start(), end, Finding("lethal" if lethal else "harm", level, clause[span_start:end])))
    return found


def _patterns(clause: str) -> list[tuple[int, int, Finding]]:
    found = []
    for kind, level, pattern, needs_intent in _PHRASES:
        for m in pattern.finditer(clause):
            if needs_intent and not _INTENT.search(clause[: m.start()]):
                continue
            found.append((m.start(), m.end(), Finding(kind, level, m.group(0))))
    for m in _WEAPON.finditer(clause):
        found.append(
            (m.start(), m.end(), Finding("weapon", CRITICAL if m.group("blade") else HIGH, m.group(0)))
        )
    for m in _ARSON.finditer(clause):
        found.append((m.start(), m.end(), Finding("arson", CRITICAL, m.group(0))))
    for m in _PUT_TO.finditer(clause):
        if _PLACE.search(m.group("span")):
            level = HIGH if m.group("verb") == "砸" else CRITICAL
            found.append(
                (m.start(), m.end(), Finding("fight" if level == HIGH else "arson", level, m.group(0)))
            )
    for m in _ACID.finditer(clause):
        found.append((m.start(), m.end(), Finding("acid", CRITICAL, m.group(0))))
    for m in _SMASH.finditer(clause):
        found.append((m.start(), m.end(), Finding("fight", HIGH, m.group(0))))
    return found


def find_threats(text: str) -> list[Finding]:
    """Every threat in `text`, in order, most serious kinds kept once per phrase."""
    findings: list[Finding] = []
    for sentence_match in _SENTENCE.finditer(normalise(text)):
        sentence = sentence_match.group(0)
        if _FRAME.search(sentence):
            continue  # news, videos, hearsay from elsewhere, publicity
        question = sentence.rstrip().endswith(("?", "？"))
        original = sentence.rstrip("。！!？?；;\n")
        masked = _mask(original)  # the same length: offsets into it point into the original
        for clause_match in _CLAUSE.finditer(masked):
            clause = clause_match.group(0)
            if (question or _QUESTION.search(clause)) and not _RHETORICAL.search(clause):
                continue
            for start, end, finding in sorted(_harm(clause) + _patterns(clause), key=lambda f: f[0]):
                if _negated(clause, start, end):
                    continue
                at = clause_match.start() + clause.find(finding.phrase)
                phrase = original[at : at + len(finding.phrase)]
                if all(f.phrase != phrase for f in findings):
                    findings.append(Finding(finding.kind, finding.level, phrase))
    return findings


def level_of(findings: list[Finding]) -> str | None:
    if not findings:
        return None
    return CRITICAL if any(f.level == CRITICAL for f in findings) else HIGH
