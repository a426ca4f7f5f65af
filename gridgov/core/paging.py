"""How deep a list may be paged, for pages and the API alike.

A page's `?offset=` or `?page=` comes from a link, but anyone can edit it: a word is the first
page, and a number beyond what a person pages through is clamped rather than passed to the
database (SQLite cannot hold an integer past 64 bits; a deep OFFSET scans every row before it).
The API refuses out-of-range values with a 400 instead (gridgov.api.params), from the same bound.
"""

from typing import Any

# Deep enough for paging through any list a person reads; beyond it, filter instead.
MAX_OFFSET = 100_000


def offset_param(value: Any) -> int:
    """A row offset from a query string: 0 unless a whole number, at most MAX_OFFSET."""
    try:
        return min(max(0, int(str(value))), MAX_OFFSET)
    except ValueError:
        return 0


def page_param(value: Any, page_size: int) -> int:
    """A 1-based page number from a query string: 1 unless a whole number, its rows within
    MAX_OFFSET."""
    try:
        page = int(str(value))
    except ValueError:
        return 1
    return min(max(1, page), MAX_OFFSET // page_size + 1)
