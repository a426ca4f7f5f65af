import datetime

import pytest
from django.utils import timezone

from gridgov.overview.period import Period


@pytest.fixture
def year() -> Period:
    """This year up to today (the demo's events lie in the last months)."""
    today = timezone.localdate()
    return Period("custom", today - datetime.timedelta(days=365), today)


from tests.front.conftest import shared_live_server  # noqa: E402, F401  (a fixture)
