"""The browser test's live server (shared with tests/front); photos under each test's own directory."""

from typing import Any

import pytest

from tests.front.conftest import shared_live_server  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _media(tmp_path: Any, settings: Any) -> None:
    """Photos the tests upload are written under the test's own directory, not the checkout's."""
    settings.MEDIA_ROOT = tmp_path / "media"
