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
        assert first.seq is None
        assert second.seq is None
        assert ChainHead.objects.get().seq == head
    assert (first.seq, second.seq) == (head + 1, head + 2)
    assert second.prev_hash == first.hash
    assert list(
        AuditEntry.objects.filter(seq__gt=head).order_by("seq").values_list("message", flat=True)
    ) == ["one", "two"]
    assert verify_chain().ok


def test_a_block_that_raises_appends_nothing(db):
    head = ChainHead.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic(), appended_together():  # noqa: PT012
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


# ------------------------------------------------------------------ secret fields never logged


def test_every_encrypted_or_hashed_secret_field_of_every_model_is_masked():
    from django.apps import apps
    from django.db import models

    from gridgov.audit.services import SECRET_FIELDS

    secret = {
        (m._meta.label_lower, f.name)
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.BinaryField) or f.name.endswith("_enc")
    }
    assert ("open311.servicerequest", "contact_enc") in secret
    assert ("registry.resident", "id_number_enc") in secret
    assert sorted(field for field in secret if field[1] not in SECRET_FIELDS) == []


def test_an_audited_save_of_an_open311_request_does_not_copy_the_contact_into_the_log(db):
    import json

    from gridgov.core.crypto import encrypt
    from gridgov.events.intake import report_event
    from gridgov.hierarchy.models import Node
    from gridgov.open311.models import Client, ServiceRequest
    from gridgov.open311.services import CONTACT_CONTEXT

    client = Client.objects.select_related("user").get(key_prefix="gridgov-")
    grid = Node.objects.get(name="惠民社区第一网格")
    head = ChainHead.objects.get().seq
    with acting_as(client.user, channel="api"):
        event, _ = report_event(
            user=client.user,
            category="water.outage",
            description="停水",
            lng=grid.lng,
            lat=grid.lat,
            channel="open311",
            check_scope=False,
        )
        contact = encrypt(
            json.dumps({"email": "citizen@example.cn", "phone": "13904718888"}), CONTACT_CONTEXT
        )
        request = ServiceRequest.objects.create(
            event=event, client=client, token="t" * 32, contact_enc=contact
        )
        # A later save that changes the contact (and something else) logs neither value either.
        request.contact_enc = encrypt(json.dumps({"email": "other@example.cn"}), CONTACT_CONTEXT)
        request.address_string = "惠民社区5号楼"
        request.save()
    rows = list(
        AuditEntry.objects.filter(
            seq__gt=head, object_type="open311.servicerequest", object_id=str(request.pk)
        ).order_by("seq")
    )
    assert [r.action for r in rows] == [Action.CREATE, Action.UPDATE]
    assert rows[0].changes["contact_enc"] == [None, "***"]
    assert rows[1].changes == {"address_string": ["", "惠民社区5号楼"]}
    logged = json.dumps([r.changes for r in rows], ensure_ascii=False)
    for value in (contact, request.contact_enc):
        assert str(bytes(value)) not in logged
        assert bytes(value).hex() not in logged
    assert "citizen@example.cn" not in logged
    assert "other@example.cn" not in logged


def test_an_open311_clients_key_hash_is_not_logged(db):
    import json

    from gridgov.hierarchy.models import Node
    from gridgov.open311.models import Client, hash_api_key

    demo = Client.objects.select_related("user").get(key_prefix="gridgov-")
    head = ChainHead.objects.get().seq
    with acting_as(None, channel="command", username="system:test"):
        client = Client(name="测试客户端", user=demo.user, area=Node.objects.get(parent=None))
        raw = client.set_key()
        client.save()
    row = AuditEntry.objects.get(seq__gt=head, object_type="open311.client", object_id=str(client.pk))
    assert row.changes["key_hash"] == [None, "***"]
    assert hash_api_key(raw) not in json.dumps(row.changes)
    assert raw not in json.dumps(row.changes)
