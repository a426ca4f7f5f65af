"""Harm-intent detection (gridgov.disputes.threats) against the labelled phrasings in data/: the
set is the specification. Precision and recall are asserted on the whole set and per level."""

from pathlib import Path

import pytest

from gridgov.disputes import risk, threats

DATA = Path(__file__).parent / "data"


def load(name):
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            assert label in ("none", "high", "critical"), line
            rows.append((label, text))
    return rows


SPEC = load("threat_phrasings.tsv")
CHECK = load("threat_phrasings_holdout.tsv")


def scores(rows):
    found = [(label, threats.level_of(threats.find_threats(text)) or "none") for label, text in rows]
    tp = sum(1 for label, got in found if label != "none" and got != "none")
    fp = sum(1 for label, got in found if label == "none" and got != "none")
    fn = sum(1 for label, got in found if label != "none" and got == "none")
    critical = [got for label, got in found if label == "critical"]
    wrong = [(label, got, text) for (label, got), (_, text) in zip(found, rows, strict=True) if label != got]
    return tp / (tp + fp), tp / (tp + fn), critical.count("critical") / len(critical), wrong


def test_the_specification_set_is_large_and_balanced():
    assert len(SPEC) >= 150
    positives = [label for label, _ in SPEC if label != "none"]
    assert 0.35 <= len(positives) / len(SPEC) <= 0.65
    assert positives.count("critical") >= 40
    assert len({text for _, text in SPEC}) == len(SPEC), "duplicate phrasings"


@pytest.mark.parametrize("rows", [SPEC, CHECK], ids=["specification", "check"])
def test_precision_and_recall(rows):
    precision, recall, critical_recall, wrong = scores(rows)
    assert precision >= 0.95, wrong
    assert recall >= 0.95, wrong
    # A lethal threat, a knife, arson or self-harm must not be rated merely high.
    assert critical_recall >= 0.95, wrong


@pytest.mark.parametrize(
    "text",
    ["要打人", "我非打他一顿不可", "再吵就弄他", "信不信我削你"],
)
def test_the_plain_threats_the_issue_names(text):
    assert threats.level_of(threats.find_threats(text)) == "high"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我不会打人", None),
        ("我没打算打他", None),
        ("我不打他打谁", "high"),  # the negation governs the first harm, not the second
        ("不打他一顿不解气", "high"),  # a double negative is a threat
        ("他不给钱我就跳楼", "critical"),  # the negation belongs to the condition
        ("你们不要跟他打架", None),  # a pronoun after a preposition does not end the negation
        ("千万别想不开", None),
    ],
)
def test_negation(text, expected):
    assert threats.level_of(threats.find_threats(text)) == expected


def test_reported_speech_keeps_its_level_and_news_is_not_a_threat():
    assert threats.level_of(threats.find_threats("他说过要打人")) == "high"
    assert threats.level_of(threats.find_threats("听说老李要找人打小王")) == "high"
    assert threats.find_threats("新闻里说有人打人") == []
    assert threats.find_threats("社区普法讲座讲了一个持刀伤人的案例") == []


def test_a_threat_in_one_sentence_is_not_cancelled_by_a_frame_in_another():
    text = "昨天大家在群里转发了一条新闻。今天李某在群里说要砍死对门"
    assert threats.level_of(threats.find_threats(text)) == "critical"


def test_idioms_with_a_person_nearby_are_not_threats():
    for text in ("我打你电话没人接", "他要弄他家的水管", "帮他收拾房间", "你打车过来吧", "打人犯法吗"):
        assert threats.find_threats(text) == [], text


def test_the_signal_names_each_phrase_and_its_kind_as_written():
    signal = risk.threat_signal("李某在群里说“再不修我就要去打死他”，还说要拿刀")
    assert signal.level == "critical"
    assert "打死他（伤人）" in signal.detail
    assert "拿刀（持械）" in signal.detail
    # Masked idioms never leak into what is shown.
    assert "〇" not in risk.threat_signal("我打算打完电话就去揍他").detail


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01打他\x7f",
        "🔪🔪🔪" * 300,
        "打" * 5000,
        "把" * 5000 + "打",
        "要打人，" * 1000,
        "[捂脸][怒]@王姐 你 再 吵 我 就 揍 你 ！！！",
        "ＷＷＷ．打他．ＣＯＭ",
        "“‘「『（【" * 200,
    ],
)
def test_hostile_and_odd_input_is_handled(text):
    found = threats.find_threats(text)
    assert len(found) <= 10  # each phrase once, however often it is repeated
    assert all(f.level in ("high", "critical") for f in found)


def test_full_width_spaces_and_stickers_are_normalised():
    assert threats.normalise("[捂脸]你　再　吵 我就揍你😡") == "你再吵我就揍你"
    assert threats.level_of(threats.find_threats("信　不　信　我　削　你")) == "high"
