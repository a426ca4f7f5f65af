"""The keyword index: one document per resident and per household, holding its search tokens.

The document's primary key encodes what it points at (resident: 2·pk, household: 2·pk + 1), so a
hit needs no join to know its kind. `path` makes it a ScopedModel: moving a node in the hierarchy
rewrites it like every other scoped row, and the database derives the scope tokens from it (see
gridgov.search.index), so the index follows the tree without a rebuild.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.lookups import PathField
from gridgov.hierarchy.models import ScopedModel

RESIDENT, HOUSEHOLD = 0, 1


class SearchDoc(ScopedModel):
    id = models.BigIntegerField(primary_key=True)
    # No B-tree indexes on the scope columns: the full-text index carries the scope as tokens and
    # at city scale (5 million documents) each extra index costs hundreds of megabytes.
    path = PathField(_("层级路径"), editable=False)
    county_code = models.CharField(_("区县代码"), max_length=6, editable=False)
    tokens = models.TextField(_("检索词"))

    class Meta:
        verbose_name = _("检索文档")
        verbose_name_plural = _("检索文档")

    def __str__(self) -> str:
        kind, pk = split_doc_id(self.id)
        return f"{'住户' if kind == HOUSEHOLD else '居民'} {pk}"


def resident_doc_id(pk: int) -> int:
    return 2 * pk


def household_doc_id(pk: int) -> int:
    return 2 * pk + 1


def split_doc_id(doc_id: int) -> tuple[int, int]:
    """(RESIDENT or HOUSEHOLD, primary key)."""
    return doc_id % 2, doc_id // 2
