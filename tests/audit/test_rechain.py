"""`gridgov audit rechain`: a log written before the chain was keyed is re-chained once."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from gridgov.audit import checkpoints
from gridgov.audit.models import Action, AuditEntry, ChainHead, unkeyed_chain_hash
from gridgov.audit.services import record
from tests.audit.test_verify import rewrite_from, verify


@pytest.fixture
def legacy_log(db):
    """The whole log as an older gridgov wrote it: every hash a plain SHA-256."""
    record(Action.COMMAND, object_type="test", message="old row")
    rewrite_from(1, unkeyed_chain_hash)
    return ChainHead.objects.get()


def rechain():
    call_command("audit", "rechain", batch_size=7)


def test_verify_tells_an_old_log_to_be_rechained(legacy_log):
    error = verify()
    assert error is not None
    assert "seq 1" in str(error)
    assert "gridgov audit rechain" in str(error)


def test_rechain_keys_the_log_logs_it_and_writes_the_first_checkpoint(legacy_log, capsys):
    messages = list(AuditEntry.objects.order_by("seq").values_list("seq", "message"))
    rechain()
    assert "re-chained" in capsys.readouterr().out
    assert verify() is None
    # The rows' content is untouched; one row more says what was done.
    assert (
        list(AuditEntry.objects.filter(seq__lte=legacy_log.seq).order_by("seq").values_list("seq", "message"))
        == messages
    )
    done = AuditEntry.objects.get(seq=legacy_log.seq + 1)
    assert done.object_type == "audit.chain"
    assert done.changes["unkeyed_head"] == [legacy_log.seq, legacy_log.hash]
    assert checkpoints.last_checkpoint().seq == legacy_log.seq + 1
    assert checkpoints.chain_is_keyed()


def test_rechain_keeps_the_append_only_triggers(legacy_log):
    rechain()
    # Undo the fixture's tampering mode (tests/audit/test_verify.py::raw).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET message = 'x' WHERE seq = 1")


def test_rows_written_after_the_upgrade_but_before_rechaining_are_kept(legacy_log):
    later = record(Action.COMMAND, object_type="test", message="after the upgrade")
    rechain()
    assert verify() is None
    assert AuditEntry.objects.get(seq=later.seq).message == "after the upgrade"


def test_rechain_is_refused_once_keyed(db):
    with pytest.raises(CommandError, match="keyed already"):
        rechain()


def test_rechain_is_refused_once_a_checkpoint_exists(legacy_log):
    path = checkpoints.default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        checkpoints.Checkpoint("x" * 64, 1, "y" * 64, "2026-01-01T00:00:00+00:00").signed().to_line()
    )
    with pytest.raises(CommandError, match="checkpoints exist"):
        rechain()
    assert verify() is not None  # nothing was rewritten


def test_rechain_refuses_a_second_time(legacy_log):
    rechain()
    with pytest.raises(CommandError, match="rechain refused"):
        rechain()


def test_rechain_refuses_an_edited_old_log(legacy_log):
    from tests.audit.test_verify import raw

    raw("UPDATE audit_auditentry SET message = 'forged' WHERE seq = 3")
    with pytest.raises(CommandError, match="seq 3 was edited"):
        rechain()
    assert AuditEntry.objects.get(seq=3).message == "forged"
    assert not checkpoints.default_path().exists()


def test_checkpoints_wait_for_the_rechain(legacy_log):
    with pytest.raises(CommandError, match="rechain"):
        call_command("audit", "checkpoint")
    assert not checkpoints.default_path().exists()
