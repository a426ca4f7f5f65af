"""The front line's figures (patrols, care visits, follow-ups, tasks, admission refusals,
screening answers) against counts made straight from the raw tables on the demo city, at every
level; the new figures kept current by the worker and linked to lists that hold what they count."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from gridgov.care.models import CareSchedule, HomeVisit
from gridgov.disputes.models import FollowUp
from gridgov.overview import rollups, selectors
from gridgov.overview.period import Period
from gridgov.patrols.models import BuildingCoverage, Patrol
from gridgov.screening import services as screening
from gridgov.screening.models import ScreeningReturn
from gridgov.tasks import services as tasks
from gridgov.tasks.models import TaskAssignment

LEVELS = ["呼和浩特市", "赛罕区", "昭乌达南路街道", "惠民社区", "惠民社区第一网格"]
FRONT_LINE = [
    "frontline.patrols",
    "frontline.buildings_covered",
    "frontline.visits",
    "frontline.visits_due",
    "frontline.visits_overdue",
    "disputes.follow_ups_due",
    "disputes.follow_ups_overdue",
    "frontline.tasks",
    "frontline.tasks_refused",
    "frontline.screening_answered",
]


def _window(period):
    tz = ZoneInfo(settings.TIME_ZONE)
    first = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return {"gte": first, "lt": after}


def _in(field, period):
    return {f"{field}__{op}": at for op, at in _window(period).items()}


def raw_counts(path, period):
    """Straight from the tables with plain filters (not the figures' code)."""
    today = timezone.localdate()
    assignments = TaskAssignment.objects.filter(path__startswith=path, **_in("created_at", period))
    due_care = CareSchedule.objects.filter(path__startswith=path, next_due__lte=today)
    due_follow_ups = FollowUp.objects.filter(
        dispute__path__startswith=path, done_at__isnull=True, due_on__lte=today
    )
    return {
        "frontline.patrols": Patrol.objects.filter(
            path__startswith=path, **_in("started_at", period)
        ).count(),
        "frontline.buildings_covered": BuildingCoverage.objects.filter(
            path__startswith=path, **_in("last_checkin_at", period)
        ).count(),
        "frontline.visits": HomeVisit.objects.filter(
            path__startswith=path, **_in("visited_at", period)
        ).count(),
        "frontline.visits_due": due_care.count(),
        "frontline.visits_overdue": due_care.filter(next_due__lt=today).count(),
        "disputes.follow_ups_due": due_follow_ups.count(),
        "disputes.follow_ups_overdue": due_follow_ups.filter(due_on__lt=today).count(),
        "frontline.tasks": assignments.count(),
        "frontline.tasks_refused": assignments.filter(state="refused").count(),
        "frontline.screening_answered": ScreeningReturn.objects.filter(
            path__startswith=path, state__in=["nil", "findings"], **_in("answered_at", period)
        ).count(),
    }


def _periods():
    today = timezone.localdate()
    return [
        Period("custom", today - datetime.timedelta(days=400), today),
        Period("custom", today.replace(day=1), today),
        Period("custom", today - datetime.timedelta(days=20), today - datetime.timedelta(days=4)),
        Period("custom", today, today),
    ]


@pytest.mark.parametrize("name", LEVELS)
def test_front_line_figures_match_the_raw_tables_at_every_level(node, name):
    path = node(name).path
    for period in _periods():
        figures = selectors.sums(path, period)
        for key, expected in raw_counts(path, period).items():
            assert figures.get(key, 0) == expected, (name, period, key)


def test_the_demo_has_something_of_each_to_count(node):
    year = _periods()[0]
    figures = raw_counts(node("呼和浩特市").path, year)
    for key in FRONT_LINE:
        if key.startswith("disputes.follow_ups"):
            continue  # the demo's follow-ups may all lie ahead; the comparison still holds
        assert figures[key] > 0, key
    assert raw_counts(node("惠民社区").path, year)["frontline.screening_answered"] > 0


def test_a_refusal_and_a_nil_return_show_after_the_workers_pass(user, node):
    county_admin, community = user("saihan_admin"), node("惠民社区")
    grid = node("惠民社区第一网格")
    month = Period("custom", timezone.localdate().replace(day=1), timezone.localdate())
    rollups.catch_up()  # whatever the test database had pending
    before = selectors.sums(community.path, month)
    task = tasks.issue_task(
        user=user("huimin_admin"),
        node=community,
        title="协助收取有线电视费",
        duty="",
        deadline=timezone.now() + datetime.timedelta(days=3),
    )
    tasks.decide_admission(user=county_admin, task=task, approve=False, reason="不属于网格员职责")
    round_ = screening.open_round(
        user=county_admin,
        node=node("赛罕区"),
        title="节前排查",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )
    answer = ScreeningReturn.objects.get(round=round_, grid=grid)
    screening.answer_round(user=user("huimin_admin"), answer=answer, nil=True)
    result = rollups.catch_up()
    assert any(p.startswith(community.path) for p in result.subtrees)
    after = selectors.sums(community.path, month)
    grids = TaskAssignment.objects.filter(task=task).count()
    assert grids > 1
    assert after["frontline.tasks"] == before.get("frontline.tasks", 0) + grids
    assert after["frontline.tasks_refused"] == before.get("frontline.tasks_refused", 0) + grids
    assert after["frontline.screening_answered"] == before.get("frontline.screening_answered", 0) + 1
    raw = raw_counts(community.path, month)
    assert {key: after.get(key, 0) for key in raw} == raw


def _cards(client, node_id):
    data = client.get(f"/api/v1/overview/{node_id}", {"period": "year"}).json()
    return {card["key"]: card for section in data["sections"] for card in section["cards"]}


@pytest.mark.parametrize("name", LEVELS)
def test_the_new_figures_are_on_the_overview_at_every_level_and_link_to_their_lists(api, login, node, name):
    area = node(name)
    cards = _cards(api("city_admin"), area.pk)
    page = login("city_admin")
    for key, marker in [
        ("frontline.tasks", "网格任务明细"),
        ("frontline.tasks_refused", "网格任务明细"),
        ("frontline.screening_answered", "排查报送明细"),
    ]:
        card = cards[key]
        assert card["url"].startswith(("/tasks/grids/?", "/screening/answers/?")), card
        assert f"node={area.pk}" in card["url"]
        listed = page.get(card["url"])
        assert listed.status_code == 200
        text = listed.content.decode()
        assert marker in text
        # The list holds exactly the rows the figure counts.
        assert f"共 {card['value']} 行" in text, (key, card)
    assert "frontline.tasks_refused_rate" in cards
    assert cards["frontline.tasks_refused_rate"]["url"].startswith("/tasks/grids/?")


def test_the_overview_page_links_the_new_figures(login, node):
    html = login("saihan_admin").get(f"/overview/{node('赛罕区').pk}/?period=year").content.decode()
    assert 'data-key="frontline.tasks"' in html
    assert 'data-key="frontline.screening_answered"' in html
    assert "/tasks/grids/?node=" in html
    assert "/screening/answers/?node=" in html
