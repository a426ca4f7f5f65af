"""Keyword index of residents and households. (Being built: see the search helper's work.)

Contract used by the registry's services:
    reindex_households(household_ids: Iterable[int]) -> None
        Rebuild the index entries of these households and all their members; called after
        every write to a household or resident (inside the same transaction).
"""

from collections.abc import Iterable


def reindex_households(household_ids: Iterable[int]) -> None:
    """Placeholder until the search index lands; the registry calls it after every write."""
    list(household_ids)
