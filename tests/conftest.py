"""Shared fixtures: the demo city is seeded once per test database and each test runs in a
transaction that is rolled back, so tests see the same city and cannot disturb each other."""

from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.core.context import acting_as
from gridgov.core.seeding import DEMO_PASSWORD, run_seed
from gridgov.hierarchy.models import Node


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Any:
    """Still argon2 (the format tests check), at a cost two CI cores can afford."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["gridgov.accounts.hashers.CheapArgon2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts with empty caches (Open311 rate-limit counters, …, and the bearer tokens
    of gridgov.accounts.access): they live as long as the process, across tests."""
    from django.core.cache import cache

    from gridgov.accounts import access

    cache.clear()
    access.forget()
    yield
    cache.clear()
    access.forget()


@pytest.fixture(autouse=True)
def _no_monthly_reports() -> Any:
    """The worker builds the month's reports of every township and above only where a test
    turns it on (tests/overview/test_reports.py): a worker pass elsewhere stays fast."""
    from django.test.utils import override_settings

    with override_settings(GRIDGOV_MONTHLY_REPORTS=False):
        yield


@pytest.fixture(autouse=True)
def _private_dir(tmp_path_factory: Any) -> Any:
    """Each test has its own GRIDGOV_PRIVATE_DIR (exports, audit checkpoints), never the checkout's."""
    from django.test.utils import override_settings

    from gridgov.audit import checkpoints

    checkpoints.forget()
    with override_settings(GRIDGOV_PRIVATE_DIR=tmp_path_factory.mktemp("private")):
        yield
    checkpoints.forget()


@pytest.fixture(scope="session", autouse=True)
def _academy_dir(tmp_path_factory: Any) -> Any:
    """Course material the seed and the tests upload goes to a folder of the test run, never the
    checkout's (one folder for the session: the seeded courses' files stay readable)."""
    from django.test.utils import override_settings

    with override_settings(GRIDGOV_ACADEMY_DIR=tmp_path_factory.mktemp("academy")):
        yield


@pytest.fixture(scope="session")
def django_db_setup(
    _cheap_password_hashing: Any, _academy_dir: Any, django_db_setup: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), acting_as(None, channel="command", username="system:test-seed"):
        run_seed("demo", quiet=True)


@pytest.fixture
def password() -> str:
    return DEMO_PASSWORD


@pytest.fixture
def user(db: Any) -> Any:
    """user("gaobo") → the demo User."""
    return lambda username: User.objects.get(username=username)


@pytest.fixture
def node(db: Any) -> Any:
    """node("惠民社区") → the demo Node with that name."""
    return lambda name: Node.objects.get(name=name)


@pytest.fixture
def login(db: Any) -> Any:
    """login("gaobo") → a test Client with that demo user's session."""

    def _login(username: str) -> Client:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from gridgov.accounts.twofactor import is_privileged

        client = Client()
        person = User.objects.get(username=username)
        client.force_login(person)
        # A privileged account's session passed the second factor (gridgov.accounts.twofactor);
        # tests/accounts/test_twofactor.py goes through the real two-step login.
        device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
        if device is None and is_privileged(person):  # an account a test made: enrolled
            device = TOTPDevice.objects.create(user=person, name="test", confirmed=True)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _login


@pytest.fixture
def api(db: Any) -> Any:
    """api("gaobo") → a test Client that sends that demo user's bearer token."""
    from gridgov.accounts.services import issue_token

    def _api(username: str) -> Client:
        _token, raw = issue_token(User.objects.get(username=username))
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return _api
