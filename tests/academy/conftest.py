"""The browser test's live server (shared with tests/front and tests/mobile)."""

from tests.front.conftest import shared_live_server  # noqa: F401  (a fixture)
