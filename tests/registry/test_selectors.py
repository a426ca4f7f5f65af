import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import life_events, pii, selectors, services


def reads(resident, field=None):
    entries = AuditEntry.objects.filter(
        action=Action.READ_SENSITIVE, object_type="registry.resident", object_id=str(resident.pk)
    )
    return [e for e in entries if field is None or e.changes.get("field") == field]


def test_masked_by_default_and_nothing_logged(user, family):
    head = family["head"]
    view = selectors.resident_view(head, user("gaobo"))
    number = pii.id_number_of(head)
    assert view["id_number"] == number[:6] + "********" + number[-4:]
    assert view["phone"] == "138****5678"
    assert not view["id_number_revealed"]
    assert view["can_reveal"]
    assert reads(head) == []


def test_reveal_with_see_pii_is_audited(user, family):
    head = family["head"]
    view = selectors.resident_view(head, user("gaobo"), reveal=["id_number"])
    assert view["id_number"] == pii.id_number_of(head)
    assert view["id_number_revealed"]
    assert view["phone"] == "138****5678"
    entry = reads(head, "id_number")
    assert len(entry) == 1
    assert entry[0].success
    view = selectors.resident_view(head, user("gaobo"), reveal=["phone"])
    assert view["phone"] == "13812345678"
    assert len(reads(head, "phone")) == 1


@pytest.mark.parametrize("username", ["huimin_volunteer", "huimin_instructor", "auditor"])
def test_reveal_without_see_pii_is_denied_and_logged(user, family, username):
    head = family["head"]
    view = selectors.resident_view(head, user(username))
    assert "*" in view["id_number"]
    assert not view["can_reveal"]
    with pytest.raises(PermissionDenied):
        selectors.resident_view(head, user(username), reveal=["id_number"])
    assert reads(head) == []
    assert AuditEntry.objects.filter(
        action=Action.DENIED, actor_name=username, object_id=str(head.pk)
    ).exists()


def test_special_tags_absent_for_roles_not_granted(user, family):
    spouse = family["spouse"]
    for username in ("huimin_volunteer", "huimin_instructor", "huimin_chief", "auditor"):
        view = selectors.resident_view(spouse, user(username))
        assert "special_tags" not in view
        assert "special_labels" not in view
        snap = selectors.editable_snapshot(spouse, user(username))
        assert "special_tags" not in snap
    assert reads(spouse, "special_tags") == []


def test_special_tags_visible_to_gaobo_and_logged(user, family):
    spouse = family["spouse"]
    view = selectors.resident_view(spouse, user("gaobo"))
    assert view["special_tags"] == ["released_prisoner"]
    assert view["special_labels"] == ["刑满释放"]
    assert len(reads(spouse, "special_tags")) == 1
    # Someone with no special tags: the key is there (empty) and nothing is logged.
    head_view = selectors.resident_view(family["head"], user("gaobo"))
    assert head_view["special_tags"] == []
    assert reads(family["head"], "special_tags") == []


def test_household_view_masks_phone(user, family):
    household = family["household"]
    view = selectors.household_view(household, user("gaobo"))
    assert view["phone"] == "0471-***3456"
    view = selectors.household_view(household, user("gaobo"), reveal=["phone"])
    assert view["phone"] == "0471-6123456"
    assert (
        AuditEntry.objects.filter(
            action=Action.READ_SENSITIVE, object_type="registry.household", object_id=str(household.pk)
        ).count()
        == 1
    )


def test_scoped_lists(user, family, make_household, building2, outside_building):
    other_grid = make_household(building2)
    far = make_household(outside_building)
    gaobo = selectors.household_list(user("gaobo"))
    assert family["household"] in gaobo
    assert other_grid not in gaobo
    assert far not in gaobo
    admin = selectors.household_list(user("huimin_admin"))
    assert family["household"] in admin
    assert other_grid in admin
    assert far not in admin
    assert set(selectors.resident_list(user("gaobo"), household=family["household"])) == {
        family["head"],
        family["spouse"],
        family["child"],
    }
    assert not selectors.resident_list(user("laogangfang_worker")).filter(pk=family["head"].pk).exists()


def test_detail_outside_scope_is_404(user, family):
    with pytest.raises(Http404):
        selectors.get_household(user("laogangfang_worker"), family["household"].pk)
    with pytest.raises(Http404):
        selectors.get_resident(user("laogangfang_worker"), family["head"].pk)


def test_members_and_history(user, family):
    household = family["household"]
    members = list(selectors.members_of(household))
    assert members[0] == family["head"]
    life_events.move_out(family["child"], user=user("gaobo"))
    assert family["child"] not in list(selectors.members_of(household))
    history = list(selectors.household_history(household))
    assert history[0].resident == family["child"]
    assert history[0].kind == "move_out"
    assert len(history) == 4


def test_conflict_diff_between_snapshots(user, family):
    gaobo = user("gaobo")
    seen = selectors.editable_snapshot(family["head"], gaobo)
    services.update_resident(
        family["head"], user=user("huimin_chief"), version=None, phone="13700001111", note="改"
    )
    family["head"].refresh_from_db()
    rows = selectors.snapshot_changes(seen, selectors.editable_snapshot(family["head"], gaobo))
    assert {r["field"] for r in rows} == {"phone", "note"}
    phone = next(r for r in rows if r["field"] == "phone")
    assert phone["seen"] == "138****5678"
    assert phone["current"] == "137****1111"


def test_children_with_counts(user, family, grid1):
    rows = selectors.children_with_counts(grid1, user("gaobo"))
    assert sum(r["households"] for r in rows) >= 1
    assert all(r["node"].parent_id == grid1.pk for r in rows)
