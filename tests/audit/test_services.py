"""gridgov.audit.services: rows appended one by one, or together at the end of a block."""

import pytest
from django.db import transaction

from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.audit.services import appended_together, failure_logged, record
from gridgov.audit.verify import verify_chain
from gridgov.core.context import acting_as


def test_a_row_outside_a_block_is_chained_at_once(db):
    head = ChainHead.objects.get().seq
    entry = record(Action.COMMAND, object_type="test", message="alone")
    assert entry.seq == head + 1
    assert ChainHead.objects.get().hash == entry.hash
    assert verify_chain().ok


def test_rows_of_a_block_are_prepared_then_chained_together_at_its_end(db):
    head = ChainHead.objects.get().seq
    with transaction.atomic(), appended_together():
        first = record(Action.COMMAND, object_type="test", message="one")
        second = record(Action.COMMAND, object_type="test", message="two")
        # Prepared, not yet in the chain: nothing locked the head so far.
        assert first.seq is None and second.seq is None
        assert ChainHead.objects.get().seq == head
    assert (first.seq, second.seq) == (head + 1, head + 2)
    assert second.prev_hash == first.hash
    assert list(AuditEntry.objects.filter(seq__gt=head).order_by("seq").values_list("message", flat=True)) == [
        "one", "two"]
    assert verify_chain().ok


def test_a_block_that_raises_appends_nothing(db):
    head = ChainHead.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic(), appended_together():
        record(Action.COMMAND, object_type="test", message="lost with its transaction")
        raise RuntimeError("the write failed")
    assert ChainHead.objects.get().seq == head.seq
    assert not AuditEntry.objects.filter(message="lost with its transaction").exists()
    # The chain goes on from the same head.
    assert record(Action.COMMAND, object_type="test").prev_hash == head.hash
    assert verify_chain().ok


def test_nested_blocks_join_the_outermost(db):
    head = ChainHead.objects.get().seq
    with transaction.atomic(), appended_together():
        record(Action.COMMAND, object_type="test", message="outer")
        with appended_together():
            inner = record(Action.COMMAND, object_type="test", message="inner")
        assert inner.seq is None  # the inner block's end did not append
    assert inner.seq == head + 2
    assert verify_chain().ok


def test_a_failure_row_appended_together_is_found_for_its_request(db):
    with acting_as(None, channel="command", username="system:test"):
        assert not failure_logged()
        with transaction.atomic(), appended_together():
            record(Action.DENIED, object_type="test", success=False, message="refused")
        assert failure_logged()
