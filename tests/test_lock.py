"""The committed lock file (`requirements.lock`, with hashes) that `make` installs from follows
pyproject.toml: every pinned dependency, the dev extras included, is in it at the same version.
After changing a pin, `make lock` writes the lock again."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~! ]", requirement, maxsplit=1)[0]).lower()


def test_every_pin_of_pyproject_is_in_the_lock_with_its_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        _name(r): r.split("==", 1)[1].strip()
        for r in project["dependencies"] + project["optional-dependencies"]["dev"]
    }
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = {
        _name(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\[\]-]+)==(\S+) \\$", text, re.M)
    }
    assert {n: v for n, v in wanted.items() if locked.get(n) != v} == {}, "run `make lock`"
    # Every locked package carries at least one hash (pip installs with --require-hashes).
    blocks = [b for b in re.split(r"\n(?=[A-Za-z0-9])", text) if re.match(r"[A-Za-z0-9].*==", b)]
    assert len(blocks) == len(locked)
    assert all("--hash=sha256:" in block for block in blocks)
