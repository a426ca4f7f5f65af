"""`gridgov reindex_search`: documents brought to the current tokenizer, hash tokens kept."""

from django.core.management import call_command

from gridgov.audit.models import AuditEntry
from gridgov.registry.models import Household, Resident
from gridgov.search import index
from gridgov.search.models import SearchDoc
from gridgov.search.selectors import search


def test_retokenize_gives_what_a_fresh_index_holds(db):
    before = dict(SearchDoc.objects.values_list("id", "tokens"))
    SearchDoc.objects.all().update(tokens="0pold 2tkeepme")  # an older tokenizer's output
    assert index.retokenize_all() == len(before)
    after = dict(SearchDoc.objects.values_list("id", "tokens"))
    residents = {2 * pk for pk in Resident.objects.values_list("pk", flat=True)}
    for doc_id, tokens in after.items():
        assert "0pold" not in tokens
        assert "2tkeepme" in tokens.split()  # phone and ID tokens are kept as they were
        fresh = set(before[doc_id].split()) - {t for t in before[doc_id].split() if t[:2] in ("2t", "2i")}
        assert fresh <= set(tokens.split()), doc_id
    assert residents <= set(after)


def test_command_rebuilds_and_is_audited(user, resident):
    zhang = resident("张伟", "惠民社区第一网格")
    SearchDoc.objects.filter(pk=2 * zhang.pk).update(tokens="")
    assert zhang.pk not in [r["id"] for r in search(user("gaobo"), "zw").results]
    call_command("reindex_search")
    assert zhang.pk in [r["id"] for r in search(user("gaobo"), "zw").results]
    assert zhang.pk in [r["id"] for r in search(user("gaobo"), "zhagnwei").results]
    assert AuditEntry.objects.filter(action="command", object_type="search.searchdoc").exists()


def test_full_rebuild_from_the_registry(user, resident):
    zhang = resident("张伟", "惠民社区第一网格")
    SearchDoc.objects.filter(pk=2 * zhang.pk).delete()
    call_command("reindex_search", "--full")
    assert SearchDoc.objects.count() == Resident.objects.count() + Household.objects.count()
    assert zhang.pk in [r["id"] for r in search(user("gaobo"), "1234").results]
