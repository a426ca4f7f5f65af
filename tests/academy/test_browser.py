"""The academy on the phone: from 我的 → 网格学院 a worker takes a course's quiz, signs up for a
session and checks in by the code shown at another one — each through the outbox, once."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gridgov.academy import services, sessions
from gridgov.academy.models import Credit, QuizAttempt, Signup, SignupState, StudySession
from gridgov.accounts.models import User
from tests.mobile.test_browser import phone, sign_in

pytestmark = pytest.mark.browser


def test_quiz_sign_up_and_check_in_on_the_phone(
    shared_live_server: str, node: Any, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    admin, gaobo = User.objects.get(username="huimin_admin"), User.objects.get(username="gaobo")
    huimin = node("惠民社区")
    course = services.create_course(
        user=admin,
        node=huimin,
        kind="link",
        url="https://example.org/law",
        title="民法典相邻关系",
        hours="1.5",
        published="1",
        pass_mark="100",
    )
    services.add_question(
        user=admin, course=course, text_value="漏水致邻居受损应当？", choices="不管\n赔偿", answer="2"
    )
    services.add_question(
        user=admin, course=course, text_value="发现纠纷苗头应当？", choices="上报\n拖延", answer="1"
    )
    now = timezone.now()
    live = sessions.create_session(
        user=admin,
        node=huimin,
        title="现场交流会",
        place="会议室",
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
        capacity="20",
        hours="2",
    )
    upcoming = StudySession.objects.get(title__contains="宣讲会")
    with sync_playwright() as playwright, phone(playwright, tmp_path / "profile") as (_context, page, errors):
        sign_in(page, shared_live_server, password)
        page.goto(f"{shared_live_server}/app/#/me")
        page.click("text=网格学院（课程 · 交流会 · 学时）")
        expect(page.locator(".screen-learn")).to_contain_text("年学时")
        page.click("text=我的课程")
        page.click("text=民法典相邻关系")
        page.check("input[name=q0][value='1']")
        page.check("input[name=q1][value='0']")
        page.click("text=提交测验")
        expect(page.locator("#outbox-badge")).to_be_hidden(timeout=30000)
        page.goto(f"{shared_live_server}/app/#/learn/sessions")
        page.locator("li", has_text=upcoming.title).locator("button", has_text="报名").click()
        expect(page.locator("#outbox-badge")).to_be_hidden(timeout=30000)
        page.goto(f"{shared_live_server}/app/#/learn/scan")
        page.fill("input[maxlength='500']", sessions.checkin_token(live))
        page.click("button[type=submit]")
        expect(page.locator("#outbox-badge")).to_be_hidden(timeout=30000)
        assert not errors, errors

    attempt = QuizAttempt.objects.get(user=gaobo, course=course)
    assert attempt.passed
    assert Credit.objects.filter(user=gaobo, course=course).count() == 1
    assert Signup.objects.get(user=gaobo, session=upcoming).state == SignupState.SIGNED_UP
    assert Signup.objects.get(user=gaobo, session=live).state == SignupState.ATTENDED
    assert Credit.objects.filter(user=gaobo, session=live).count() == 1
