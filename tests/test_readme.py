"""The README's demo-login table stays in sync with the users the seed creates."""

import re
from pathlib import Path

from gridgov.accounts.seed import DEMO_USERS
from gridgov.core.seeding import DEMO_PASSWORD

README = Path(__file__).resolve().parents[1] / "README.md"


def demo_table() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_readme_lists_every_demo_user_with_password_role_and_scope():
    header = "| username | password | role | scope |"
    assert header in README.read_text(encoding="utf-8")
    rows = {row[0].strip("`"): row for row in demo_table()}
    assert list(rows) == [username for username, *_ in DEMO_USERS]
    for username, _full_name, role, node_name in DEMO_USERS:
        _name, password, role_text, scope = rows[username]
        assert password.strip("`") == DEMO_PASSWORD
        assert scope.startswith(node_name) if node_name else scope == "everything"
        if role is not None:
            assert re.search(re.escape(str(role.label)), role_text), (username, role_text)
