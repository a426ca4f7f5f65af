"""Risk rating of a dispute from signals, as pure functions (the services gather the facts).

Signals and the level each one implies on its own:
- threats in the text, found by pattern (gridgov.disputes.threats): harming someone, blunt
  weapons, veiled threats, violence already used → high; lethal intent, knives, arson,
  explosives, acid and self-harm → critical;
- repeated disputes between the same parties, or at the same address, within REPEAT_WINDOW_DAYS:
  one earlier dispute → medium, two or more → high;
- vulnerable parties (60+, disabled, left-behind child …) → medium.
The computed level is the highest single signal, raised one step when two or more different
kinds of signal coincide (a threat between parties who quarrelled before is worse than either).
"""

import re
from dataclasses import dataclass
from datetime import date

from gridgov.disputes import threats
from gridgov.disputes.models import RISK_ORDER, RISK_RANK, RiskLevel

REPEAT_WINDOW_DAYS = 180

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


def threat_signal(text: str) -> Signal | None:
    """Threats of violence or self-harm in the text (gridgov.disputes.threats finds them)."""
    findings = threats.find_threats(text)
    level = threats.level_of(findings)
    if level is None:
        return None
    phrases = "、".join(f"{f.phrase}（{threats.KIND_LABELS[f.kind]}）" for f in findings[:5])
    if level == threats.CRITICAL:
        return Signal("threat", RiskLevel.CRITICAL, "言语含极端暴力或轻生威胁：" + phrases)
    return Signal("threat", RiskLevel.HIGH, "言语含暴力威胁：" + phrases)


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
