"""The intake benchmark's own logic (no server): the retry schedule and the percentile."""

import importlib.util
import random
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "bench" / "intake.py"


@pytest.fixture(scope="module")
def intake():
    spec = importlib.util.spec_from_file_location("bench_intake", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schedule_sends_every_key_and_the_planned_retries(intake):
    subs = [intake.Submission(key=str(n), token="t", body=b"{}") for n in range(200)]
    batches = intake.schedule(subs, retry_share=0.1, storm_keys=3, storm_size=12, rng=random.Random(1))
    sent = [sub.key for batch in batches for sub in batch]
    assert set(sent) == {s.key for s in subs}
    assert len(sent) == 200 + 20 + 3 * 11  # each retried key once more, each storm key 11 more times
    storms = [b for b in batches if len(b) == 12]
    pairs = [b for b in batches if len(b) == 2]
    assert len(storms) == 3
    assert all(len({s.key for s in b}) == 1 for b in storms)
    assert pairs
    assert all(b[0].key == b[1].key for b in pairs)


def test_percentile(intake):
    values = list(range(1, 101))
    assert intake.percentile(values, 50) == 50
    assert intake.percentile(values, 99) == 99
    assert intake.percentile([5.0], 99) == 5.0
