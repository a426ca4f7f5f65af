"""`gridgov audit verify` finds every kind of tampering done behind the application's back."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from gridgov.audit.models import Action, AuditEntry, ChainHead, chain_hash, unkeyed_chain_hash
from gridgov.audit.services import record
from gridgov.audit.verify import verify_chain


@pytest.fixture
def chain(db):
    """Ten fresh rows at the end of the session's chain; returns their seq numbers."""
    return [record(Action.COMMAND, object_type="test", message=f"row {n}").seq for n in range(10)]


def raw(sql, params=()):
    """Tamper as a database user would: raw SQL, with the append-only triggers out of the way
    (only for this test's transaction, rolled back at the end)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_delete")
        cursor.execute(sql, params)


def rewrite_from(seq, hasher, **changes):
    """The attack: change row `seq`, then recompute every later hash and the head with `hasher`."""
    rows = list(AuditEntry.objects.filter(seq__gte=seq).order_by("seq"))
    prev = rows[0].prev_hash
    for row in rows:
        for name, value in (changes if row.seq == seq else {}).items():
            setattr(row, name, value)
        row.prev_hash = prev
        row.hash = prev = hasher(prev, row.content())
        raw(
            "UPDATE audit_auditentry SET message = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [row.message, row.prev_hash, row.hash, row.seq],
        )
    raw("UPDATE audit_chainhead SET hash = %s", [prev])


def verify(**kwargs):
    try:
        call_command("audit", "verify", verbosity=0, **kwargs)
    except CommandError as exc:
        return exc
    return None


def test_intact_chain_verifies_with_a_count(chain, capsys):
    call_command("audit", "verify", batch_size=3)
    out = capsys.readouterr().out
    assert "intact" in out
    assert f"{ChainHead.objects.get().seq} rows" in out


def test_small_batches_cross_batch_boundaries(chain):
    result = verify_chain(batch_size=2)
    assert result.ok
    assert result.checked == ChainHead.objects.get().seq


def test_edited_row_is_found(chain):
    raw("UPDATE audit_auditentry SET message = %s WHERE seq = %s", ["forged", chain[4]])
    error = verify()
    assert error is not None
    assert error.returncode == 1
    assert f"seq {chain[4]}" in str(error)
    assert "edited" in str(error)


def test_edited_and_rehashed_row_breaks_the_next_link(chain):
    entry = AuditEntry.objects.get(seq=chain[4])
    entry.message = "forged"
    raw(
        "UPDATE audit_auditentry SET message = %s, hash = %s WHERE seq = %s",
        ["forged", entry.compute_hash(), chain[4]],
    )
    error = verify()
    assert error is not None
    assert f"seq {chain[5]}" in str(error)
    assert "link" in str(error)


def test_removed_row_leaves_a_gap(chain):
    raw("DELETE FROM audit_auditentry WHERE seq = %s", [chain[3]])
    error = verify(batch_size=4)
    assert error is not None
    assert f"seq {chain[3]}" in str(error)
    assert "removed" in str(error)


def test_reordered_rows_are_found(chain):
    a, b = chain[2], chain[3]
    raw("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [a])
    raw("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [a, b])
    raw("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [b])
    error = verify()
    assert error is not None
    assert f"seq {a}" in str(error)


def test_inserted_row_is_found(chain):
    """A forger who knows the algorithm inserts a well-formed row in the middle and renumbers."""
    k = chain[5]
    raw("UPDATE audit_auditentry SET seq = seq + 1000000 WHERE seq > %s", [k])
    raw("UPDATE audit_auditentry SET seq = seq - 999999 WHERE seq > 1000000")
    before = AuditEntry.objects.get(seq=k)
    forged = AuditEntry(
        seq=k + 1,
        at=before.at,
        actor_name="forger",
        channel="page",
        action=Action.UPDATE,
        object_type="test",
        path="150100",
        changes={},
        message="never happened",
        prev_hash=before.hash,
    )
    forged.hash = forged.compute_hash()
    raw(
        "INSERT INTO audit_auditentry (seq, at, actor_name, channel, request_id, action, object_type, object_id,"
        " object_repr, path, changes, success, message, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, '', %s, %s, '', '', %s, %s, %s, %s, %s, %s)",
        [
            forged.seq,
            forged.at,
            forged.actor_name,
            forged.channel,
            forged.action,
            forged.object_type,
            forged.path,
            "{}",
            True,
            forged.message,
            forged.prev_hash,
            forged.hash,
        ],
    )
    error = verify()
    assert error is not None
    assert f"seq {k + 2}" in str(error)
    assert "link" in str(error)


def test_row_removed_at_the_end_disagrees_with_the_head(chain):
    raw("DELETE FROM audit_auditentry WHERE seq = %s", [chain[-1]])
    error = verify()
    assert error is not None
    assert f"seq {chain[-1]}" in str(error)
    assert "head" in str(error)


def test_chain_head_mismatch_is_found(chain):
    raw("UPDATE audit_chainhead SET hash = %s", ["f" * 64])
    error = verify()
    assert error is not None
    assert "head" in str(error)


def test_orm_refuses_to_change_or_remove_audit_rows(chain):
    entry = AuditEntry.objects.get(seq=chain[0])
    entry.message = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(seq=chain[0]).update(message="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(seq=chain[0]).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_create([AuditEntry(seq=10**9, at=entry.at, channel="x", action="x")])
    assert verify() is None


def test_database_triggers_refuse_update_and_delete(chain):
    """On SQLite and on PostgreSQL alike, the database itself refuses to change a row."""
    for sql in (
        "UPDATE audit_auditentry SET message = 'x' WHERE seq = %s",
        "UPDATE audit_auditentry SET hash = 'x', prev_hash = 'y' WHERE seq >= %s",
        "DELETE FROM audit_auditentry WHERE seq = %s",
        "DELETE FROM audit_auditentry WHERE seq >= %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [chain[0]])
    assert AuditEntry.objects.filter(seq__in=chain).count() == len(chain)
    assert verify() is None


def test_rewrite_with_plain_sha256_is_found(chain):
    """The attack of issue 10: edit a row, recompute every later hash and the head with plain
    SHA-256. Without the key the forger cannot produce the MAC."""
    rewrite_from(chain[4], unkeyed_chain_hash, message="forged")
    error = verify()
    assert error is not None
    assert error.returncode == 1
    assert f"seq {chain[4]}" in str(error)
    assert "without the key" in str(error)
    assert "forged" in str(error)


def test_rewrite_with_a_guessed_key_is_found(chain):
    import hashlib
    import hmac

    def guessed(prev, content):
        return hmac.new(b"guess", unkeyed_chain_hash(prev, content).encode(), hashlib.sha256).hexdigest()

    rewrite_from(chain[2], guessed, message="forged")
    error = verify()
    assert error is not None
    assert f"seq {chain[2]}" in str(error)
    assert "edited" in str(error)


def test_rewrite_by_someone_with_the_key_passes_the_mac_alone(chain):
    """The MAC alone cannot stop the key's holder: the checkpoints do (tests/audit/test_checkpoints.py)."""
    rewrite_from(chain[4], chain_hash, message="forged")
    assert verify() is None


def test_system_administrator_cannot_change_or_delete_audit_rows_in_the_admin(chain, login):
    client = login("sysadmin")
    entry = AuditEntry.objects.get(seq=chain[0])
    for url, data in (
        (f"/admin/audit/auditentry/{entry.pk}/change/", {"message": "changed"}),
        (f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}),
        ("/admin/audit/auditentry/add/", {"seq": 10**9, "message": "forged"}),
    ):
        assert client.post(url, data).status_code in {302, 403}, url
    assert AuditEntry.objects.get(seq=chain[0]).message == entry.message
    assert not AuditEntry.objects.filter(seq=10**9).exists()
    assert verify() is None
