"""The README's demo-login table stays in sync with the users the seed creates (every seeded user
who can log in: administrators, grid staff, departments, mediators, lawyers and police), and the
demo events and disputes name only buildings that exist in their grid."""

import re
from pathlib import Path
from typing import Any

from gridgov.accounts.models import User
from gridgov.accounts.seed import DEMO_USERS
from gridgov.core.seeding import DEMO_PASSWORD
from gridgov.disputes.models import Dispute
from gridgov.events.models import Event, MemberRole, OrgMember
from gridgov.events.seed import DEMO_STAFF
from gridgov.hierarchy.models import Level, Node

README = Path(__file__).resolve().parents[1] / "README.md"
BUILDING = re.compile(r"(\d+)\s*(?:号楼|栋|幢|#楼?)")


def demo_table() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_readme_lists_every_demo_user_with_password_role_and_scope():
    header = "| username | password | role | scope |"
    assert header in README.read_text(encoding="utf-8")
    rows = {row[0].strip("`"): row for row in demo_table()}
    staff = [username for username, *_ in DEMO_STAFF]
    assert list(rows) == [username for username, *_ in DEMO_USERS] + staff
    for username, _full_name, role, node_name in DEMO_USERS:
        _name, password, role_text, scope = rows[username]
        assert password.strip("`") == DEMO_PASSWORD
        assert scope.startswith(node_name) if node_name else scope == "everything"
        if role is not None:
            assert re.search(re.escape(str(role.label)), role_text), (username, role_text)


def test_readme_names_each_staff_members_organisation_role_and_area(db: Any) -> None:
    rows = {row[0].strip("`"): row for row in demo_table()}
    for username, _full_name, org_name, role in DEMO_STAFF:
        _name, password, role_text, scope = rows[username]
        assert password.strip("`") == DEMO_PASSWORD
        assert org_name in role_text, (username, role_text)
        assert str(MemberRole(role).label) in role_text, (username, role_text)
        member = OrgMember.objects.select_related("organisation__area").get(
            user__username=username, organisation__name=org_name
        )
        assert scope.startswith(member.organisation.area.name), (username, scope)


def test_the_table_is_every_seeded_user_who_can_log_in(db: Any) -> None:
    """No seeded login is missing from the README (and none listed is locked out)."""
    listed = {row[0].strip("`") for row in demo_table()}
    usable = {
        u.username
        for u in User.objects.filter(is_active=True)
        .exclude(password__startswith="!")
        .only("username", "password")
    }
    assert usable == listed
    for user in User.objects.filter(username__in=listed):
        assert user.check_password(DEMO_PASSWORD), user.username


def _buildings_named(text: str) -> set[str]:
    return {f"{n}号楼" for n in BUILDING.findall(text or "")}


def _grid_buildings(grid_id: int) -> set[str]:
    return set(Node.objects.filter(parent_id=grid_id, level=Level.BUILDING).values_list("name", flat=True))


def test_demo_events_name_buildings_of_their_grid(db: Any) -> None:
    named = 0
    for event in Event.objects.all():
        mentioned = _buildings_named(event.description) | _buildings_named(event.address)
        if mentioned:
            named += 1
            assert mentioned <= _grid_buildings(event.grid_id), (event.number, mentioned, event.grid_id)
    assert named >= 10  # the stories do name buildings; the check is not vacuous


def test_demo_disputes_name_buildings_of_their_grid(db: Any) -> None:
    for dispute in Dispute.objects.select_related("event"):
        event = dispute.event
        mentioned = _buildings_named(event.description) | _buildings_named(event.address)
        assert mentioned <= _grid_buildings(event.grid_id), (dispute.pk, mentioned)
