"""Risk rating of a dispute from signals, as pure functions (the services gather the facts).

Signals and the level each one implies on its own:
- threats of violence in the text: harming others (打死, 砍, 报复 …) → high; lethal or
  self-harm threats (同归于尽, 杀了, 放火, 跳楼 …) → critical;
- repeated disputes between the same parties, or at the same address, within REPEAT_WINDOW_DAYS:
  one earlier dispute → medium, two or more → high;
- vulnerable parties (60+, disabled, left-behind child …) → medium.
The computed level is the highest single signal, raised one step when two or more different
kinds of signal coincide (a threat between parties who quarrelled before is worse than either).
"""

import re
from dataclasses import dataclass
from datetime import date

from gridgov.disputes.models import RISK_ORDER, RISK_RANK, RiskLevel

REPEAT_WINDOW_DAYS = 180

# Phrases that signal intent to harm others.
THREAT_HIGH = (
    "打死",
    "弄死",
    "整死",
    "揍死",
    "砍",
    "捅",
    "报复",
    "拼了",
    "弄残",
    "打残",
    "废了他",
    "废了你",
    "要你好看",
    "让他好看",
    "找人收拾",
    "收拾他",
    "收拾你",
    "动刀",
    "拿刀",
    "见血",
    "卸了",
)
# Lethal threats, threats against many, or self-harm.
THREAT_CRITICAL = (
    "同归于尽",
    "杀了",
    "杀人",
    "杀你",
    "杀他",
    "宰了",
    "放火",
    "烧了他家",
    "点了他家",
    "炸了",
    "跳楼",
    "自杀",
    "喝农药",
    "不想活",
    "一起死",
    "灭门",
    "偿命",
)
# Everyday words that contain a threat word but are not threats (bargaining, pest control…).
BENIGN = (
    "砍价",
    "砍树",
    "砍柴",
    "砍伐",
    "杀虫",
    "杀毒",
    "杀菌",
    "秒杀",
    "杀价",
    "抹杀",
    "捅娄子",
    "捅破",
    "报复性消费",
    "打死也不",
    "打死都不",
)

# Registry care tags (gridgov.registry.choices.CareTag) that make a party vulnerable.
VULNERABLE_TAGS = {
    "elderly": "60岁以上老人",
    "alone": "独居",
    "disabled": "残疾",
    "left_behind_child": "留守儿童",
    "left_behind_elder": "留守老人",
    "serious_illness": "大病",
    "extreme_poverty": "特困",
    "subsistence": "低保",
}

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Signal:
    signal: str  # threat | repeat_parties | repeat_address | vulnerable | combined
    level: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"signal": self.signal, "level": str(self.level), "detail": self.detail}


def normalise_address(address: str) -> str:
    """Addresses compared for repeats: no spaces, full-width digits and letters folded."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in address or "")
    return _SPACES.sub("", folded).lower()[:200]


def _without_benign(text: str) -> str:
    for phrase in BENIGN:
        text = text.replace(phrase, "　" * len(phrase))
    return text


def threat_phrases(text: str) -> tuple[list[str], list[str]]:
    """(critical phrases, high phrases) found in `text`, benign compounds excluded."""
    cleaned = _without_benign(_SPACES.sub("", text or ""))
    critical = [p for p in THREAT_CRITICAL if p in cleaned]
    high = [p for p in THREAT_HIGH if p in cleaned]
    return critical, high


def threat_signal(text: str) -> Signal | None:
    critical, high = threat_phrases(text)
    if critical:
        return Signal("threat", RiskLevel.CRITICAL, "言语含极端暴力或轻生威胁：" + "、".join(critical + high))
    if high:
        return Signal("threat", RiskLevel.HIGH, "言语含暴力威胁：" + "、".join(high))
    return None


def repeat_signal(kind: str, earlier: list[str]) -> Signal | None:
    """`earlier`: numbers of earlier disputes (same parties or same address) inside the window."""
    if not earlier:
        return None
    level = RiskLevel.HIGH if len(earlier) >= 2 else RiskLevel.MEDIUM
    what = "同一当事人" if kind == "repeat_parties" else "同一地点"
    return Signal(
        kind, level, f"{REPEAT_WINDOW_DAYS}天内{what}已有{len(earlier)}起纠纷：{'、'.join(earlier[:5])}"
    )


def vulnerable_signal(parties: list[tuple[str, list[str], date | None]], today: date) -> Signal | None:
    """`parties`: (name, care tags, birth date) of registry residents among the parties."""
    found = []
    for name, tags, birth in parties:
        labels = [VULNERABLE_TAGS[t] for t in tags if t in VULNERABLE_TAGS]
        if birth is not None:
            age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
            if age >= 60 and "60岁以上老人" not in labels:
                labels.append("60岁以上老人")
            if age < 18:
                labels.append("未成年人")
        if labels:
            found.append(f"{name}（{'、'.join(labels)}）")
    if not found:
        return None
    return Signal("vulnerable", RiskLevel.MEDIUM, "当事人属关爱对象：" + "；".join(found))


def combine(signals: list[Signal]) -> tuple[str, list[Signal]]:
    """The computed level and the reasons, most serious first."""
    present = sorted((s for s in signals if s is not None), key=lambda s: -RISK_RANK[s.level])
    if not present:
        return RiskLevel.LOW, []
    level = present[0].level
    kinds = {
        s.signal.replace("repeat_parties", "repeat").replace("repeat_address", "repeat") for s in present
    }
    if len(kinds) >= 2 and RISK_RANK[level] < RISK_RANK[RiskLevel.CRITICAL]:
        raised = RISK_ORDER[RISK_RANK[level] + 1]
        present.append(
            Signal(
                "combined",
                raised,
                f"多项风险因素叠加，由{RiskLevel(level).label}提升为{RiskLevel(raised).label}",
            )
        )
        level = raised
    return level, present
