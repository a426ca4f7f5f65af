"""Property-based: requests generated from /api/v1/openapi.json (valid and invalid ones) sent with a
grid worker's and a county official's tokens; whatever they hold, the API never answers 5xx. A bounded number of examples per operation keeps it fast in CI;
`GRIDGOV_SCHEMATHESIS_EXAMPLES` raises it locally."""

import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from gridgov.accounts.models import User
from gridgov.accounts.services import issue_token
from gridgov.wsgi import application

EXAMPLES = int(os.environ.get("GRIDGOV_SCHEMATHESIS_EXAMPLES", "3"))
# Whose token: a grid worker, and a county official, who reaches the writes a worker is refused
# at the door (`GRIDGOV_SCHEMATHESIS_USERS` names others, comma-separated).
PERSONAS = os.environ.get("GRIDGOV_SCHEMATHESIS_USERS", "gaobo,saihan_admin").split(",")
# The explicit examples and random (valid and invalid) data; the coverage phase's boundary values
# (`GRIDGOV_SCHEMATHESIS_PHASES=examples,fuzzing,coverage`) take minutes, and the classes it
# finds are tested directly in test_params.py.

PHASES = os.environ.get("GRIDGOV_SCHEMATHESIS_PHASES", "examples,fuzzing").split(",")
config = SchemathesisConfig.from_dict(
    {
        "phases": {
            name: {"enabled": name in PHASES} for name in ("examples", "fuzzing", "coverage", "stateful")
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)


@pytest.fixture(autouse=True)
def connection_kept_open() -> Any:
    # The WSGI app is called directly, so the request signals would close the connection the
    # test's transaction holds (Django's own test client disconnects these receivers the same way).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(params=PERSONAS)
def token(db: Any, request: Any) -> str:
    _token, raw = issue_token(User.objects.get(username=request.param), "schemathesis")
    return raw


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_is_a_server_error(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
