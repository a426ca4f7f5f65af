"""Signed checkpoints of the chain head pin the log against whoever holds the key too."""

import json
import logging
import os
import stat
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.audit import checkpoints
from gridgov.audit.models import Action, AuditEntry, ChainHead, chain_hash
from gridgov.audit.services import record
from tests.audit.test_verify import raw, rewrite_from, verify


@pytest.fixture
def chain(db):
    return [record(Action.COMMAND, object_type="test", message=f"row {n}").seq for n in range(6)]


def lines():
    return checkpoints.default_path().read_text().splitlines()


def test_checkpoint_command_appends_a_signed_line(chain, capsys):
    call_command("audit", "checkpoint")
    assert "checkpoint #" in capsys.readouterr().out
    record(Action.COMMAND, object_type="test", message="later")
    call_command("audit", "checkpoint")
    written = [json.loads(line) for line in lines()]
    assert len(written) == 2
    head = ChainHead.objects.get()
    assert written[1]["seq"] == head.seq
    assert written[1]["hash"] == head.hash
    assert written[0]["seq"] == head.seq - 1
    assert written[0]["chain"] == AuditEntry.objects.get(seq=1).hash
    assert all(checkpoints.parse_line(line).is_authentic() for line in lines())
    # Only the server's account may read or write it.
    assert stat.S_IMODE(os.stat(checkpoints.default_path()).st_mode) == 0o600
    assert verify() is None


def test_checkpoints_are_appended_never_rewritten(chain):
    path = checkpoints.default_path()
    checkpoints.write_checkpoint()
    first = path.read_bytes()
    record(Action.COMMAND, object_type="test", message="later")
    checkpoints.write_checkpoint()
    assert path.read_bytes().startswith(first)


def test_rewrite_with_the_key_contradicts_an_earlier_checkpoint(chain):
    """Whoever holds the key recomputes every MAC after an edit; the checkpoint outside the
    database still has the old hash of that row (or of a later one)."""
    checkpoints.write_checkpoint()
    rewrite_from(chain[2], chain_hash, message="forged")
    error = verify()
    assert error is not None
    assert error.returncode == 1
    text = str(error)
    assert f"seq {chain[-1]}" in text
    assert f"{checkpoints.default_path()}:1" in text
    assert "rewritten after that checkpoint" in text


def test_rows_cut_off_at_the_end_with_the_head_moved_back_are_found(chain):
    """Delete the last rows and set the head back to the row before: the MAC chain is intact,
    but a checkpoint had pinned the longer log."""
    checkpoints.write_checkpoint()
    keep = AuditEntry.objects.get(seq=chain[2])
    raw("DELETE FROM audit_auditentry WHERE seq > %s", [keep.seq])
    raw("UPDATE audit_chainhead SET seq = %s, hash = %s", [keep.seq, keep.hash])
    error = verify()
    assert error is not None
    assert f"seq {keep.seq + 1}" in str(error)
    assert f"pinned the log up to seq {chain[-1]}" in str(error)
    assert "removed at the end" in str(error)


def test_forged_checkpoint_is_named(chain):
    checkpoints.write_checkpoint()
    path = checkpoints.default_path()
    forged = json.loads(lines()[0])
    forged["hash"] = "a" * 64
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    error = verify()
    assert error is not None
    assert f"{path}:2" in str(error)
    assert "bad signature" in str(error)


@pytest.mark.parametrize("junk", ["not json", "[1, 2]", '{"v": 1, "seq": "7"}', '{"v": 2}', "\x00\xff"])
def test_damaged_checkpoint_file_is_named(chain, junk):
    checkpoints.write_checkpoint()
    with checkpoints.default_path().open("a") as handle:
        handle.write(junk + "\n")
    error = verify()
    assert error is not None
    assert f"{checkpoints.default_path()}:2 is damaged" in str(error)


def test_checkpoints_of_another_database_are_only_mentioned(chain, capsys):
    other = checkpoints.Checkpoint("b" * 64, 3, "c" * 64, timezone.now().isoformat()).signed()
    checkpoints.default_path().parent.mkdir(parents=True, exist_ok=True)
    checkpoints.default_path().write_text(other.to_line())
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "intact" in out
    assert "1 checkpoints belong to another chain" in out


def test_verify_reads_copies_given_on_the_command_line(chain, tmp_path, capsys):
    checkpoints.write_checkpoint()
    copy = tmp_path / "worm-copy.jsonl"
    copy.write_bytes(checkpoints.default_path().read_bytes())
    checkpoints.default_path().unlink()  # the local file is gone; the copy still pins the log
    rewrite_from(chain[1], chain_hash, message="forged")
    with pytest.raises(CommandError, match="rewritten after that checkpoint"):
        call_command("audit", "verify", checkpoints=[copy], verbosity=0)
    with pytest.raises(CommandError, match="no such file") as missing:
        call_command("audit", "verify", checkpoints=[tmp_path / "nope"], verbosity=0)
    assert missing.value.returncode == 2


def test_intact_log_reports_its_checkpoints(chain, capsys):
    checkpoints.write_checkpoint()
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "1 checkpoints match" in out


def test_worker_checkpoints_when_the_log_grew_and_the_interval_passed(chain):
    now = timezone.now()
    first = checkpoints.write_if_due(interval=300, now=now)
    assert first is not None
    assert checkpoints.write_if_due(interval=300, now=now + timedelta(hours=1)) is None  # no growth
    record(Action.COMMAND, object_type="test", message="later")
    assert checkpoints.write_if_due(interval=300, now=now + timedelta(seconds=10)) is None  # too soon
    second = checkpoints.write_if_due(interval=300, now=now + timedelta(seconds=301))
    assert second is not None
    assert second.seq == first.seq + 1
    # A new process reads the file's tail instead of its memory.
    checkpoints.forget()
    assert checkpoints.write_if_due(interval=300, now=now + timedelta(seconds=302)) is None
    assert len(lines()) == 2


def test_worker_command_writes_a_checkpoint(chain):
    call_command("worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert checkpoints.last_checkpoint().seq == ChainHead.objects.get().seq


def test_each_checkpoint_goes_to_the_checkpoint_logger_for_syslog(chain, caplog):
    with caplog.at_level(logging.INFO, logger="gridgov.audit.checkpoints"):
        written = checkpoints.write_checkpoint()
    assert written.hash in caplog.text
    assert written.mac in caplog.text


def test_checkpoints_reach_a_syslog_server(chain, monkeypatch):
    """AUDIT_CHECKPOINT_SYSLOG configures this handler (gridgov/settings.py); a UDP server gets the line."""
    import logging.handlers
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    handler = logging.handlers.SysLogHandler(address=server.getsockname(), facility="authpriv")
    logger = logging.getLogger("gridgov.audit.checkpoints")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        written = checkpoints.write_checkpoint()
        message = server.recv(4096).decode()
    finally:
        logger.removeHandler(handler)
        handler.close()
        server.close()
    assert "gridgov audit checkpoint" in message
    assert checkpoints.parse_line(message.split("checkpoint ", 1)[1].strip("\x00 \n")) == written


def test_settings_send_checkpoints_to_syslog_when_asked():
    import subprocess
    import sys

    code = (
        "import gridgov.settings as s; h = s.LOGGING['handlers']['audit_checkpoints']; "
        "print(h['address'], s.LOGGING['loggers']['gridgov.audit.checkpoints']['level'])"
    )
    env = {**os.environ, "AUDIT_CHECKPOINT_SYSLOG": "logs.example.org:1514"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "('logs.example.org', 1514) INFO"
