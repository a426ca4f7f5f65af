"""Paging values from a query string: words are the first page, numbers are clamped."""

import pytest

from gridgov.core.paging import MAX_OFFSET, offset_param, page_param


@pytest.mark.parametrize(
    ("value", "offset"),
    [("40", 40), ("-1", 0), ("abc", 0), ("", 0), (None, 0), ("1e309", 0), ("9" * 40, MAX_OFFSET)],
)
def test_offsets(value: object, offset: int) -> None:
    assert offset_param(value) == offset


@pytest.mark.parametrize(("value", "page"), [("3", 3), ("0", 1), ("x", 1), ("9" * 40, MAX_OFFSET // 20 + 1)])
def test_pages(value: object, page: int) -> None:
    assert page_param(value, 20) == page
