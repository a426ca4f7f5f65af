"""Settings come from the environment and fail loudly, naming the variable, on bad values."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.core.env import env_base64_key, env_bool, env_database, env_int, env_str, env_syslog_address

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    [
        "postgres//nohost",
        "mysql://x/y",
        "sqlite://",
        "sqlite:///",
        "http://x/y",
        "postgres://",
        "nonsense",
        "postgres://user:pw@host:notaport/db",
    ],
)
def test_malformed_database_url_is_refused_naming_the_variable(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_database("DATABASE_URL", "sqlite:////tmp/unused.sqlite3")


def test_database_url_password_is_not_echoed_in_the_error(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://admin:s3cret-pass@db/gridgov")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_database("DATABASE_URL", "sqlite:////tmp/unused.sqlite3")
    assert "s3cret-pass" not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("postgres://postgres@127.0.0.1:5432/gridgov", "django.db.backends.postgresql", "gridgov"),
        ("postgresql://u:p@db.internal/gg", "django.db.backends.postgresql", "gg"),
        (
            "sqlite:////var/lib/gridgov/db.sqlite3",
            "django.db.backends.sqlite3",
            "/var/lib/gridgov/db.sqlite3",
        ),
    ],
)
def test_good_database_urls(monkeypatch, url, engine, name):
    monkeypatch.setenv("DATABASE_URL", url)
    config = env_database("DATABASE_URL", "sqlite:////tmp/unused.sqlite3")
    assert (config["ENGINE"], config["NAME"]) == (engine, name)


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please", "tru"])
def test_bad_boolean_is_refused(monkeypatch, raw):
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False)]
)
def test_good_booleans(monkeypatch, raw, value):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG", not value) is value


@pytest.mark.parametrize("raw", ["ten", "1.5", "", "5m"])
def test_bad_integer_is_refused(monkeypatch, raw):
    monkeypatch.setenv("LOGIN_FAILURE_LIMIT", raw)
    with pytest.raises(ImproperlyConfigured, match="LOGIN_FAILURE_LIMIT"):
        env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)


def test_integer_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", "0")
    with pytest.raises(ImproperlyConfigured, match="SESSION_IDLE_TIMEOUT"):
        env_int("SESSION_IDLE_TIMEOUT", 1800, minimum=60)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_required_variable_is_refused(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", raw)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env_str("SECRET_KEY")


@pytest.mark.parametrize("raw", ["not base64!", base64.b64encode(b"too short").decode()])
def test_bad_data_key_is_refused(monkeypatch, raw):
    monkeypatch.setenv("GRIDGOV_DATA_KEY", raw)
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_DATA_KEY"):
        env_base64_key("GRIDGOV_DATA_KEY")


def _env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "GRIDGOV_DATA_KEY", "DEBUG"}
    }
    env.update(
        GRIDGOV_ENV_FILE="",  # no local .env: only what is given here
        DATABASE_URL="sqlite:////tmp/gridgov-env-test.sqlite3",
        SECRET_KEY=secrets.token_urlsafe(50),
        GRIDGOV_DATA_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    env.update({key: value for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
    return env


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_refuse_to_start_without_secret_key():
    result = _manage("check", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_settings_refuse_a_malformed_database_url_at_start():
    result = _manage("check", DATABASE_URL="postgres//nohost")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_profile_refuses_debug():
    result = _manage("check", DJANGO_SETTINGS_MODULE="gridgov.settings_production", DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_profile_passes_the_deployment_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="gridgov.settings_production",
        DEBUG="0",
        ALLOWED_HOSTS="gridgov.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_dotenv_fills_only_what_the_environment_lacks(tmp_path, monkeypatch):
    from gridgov.core.dotenv import ensure_local_env, load_dotenv

    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nGG_A=from-file\nexport GG_B=\"quoted value\"\nGG_C='x'\nnot a line\n")
    monkeypatch.setenv("GG_A", "from-environment")
    for key in ("GG_B", "GG_C"):  # unset now, and unset again after the test
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    load_dotenv(env_file)
    assert (os.environ["GG_A"], os.environ["GG_B"], os.environ["GG_C"]) == (
        "from-environment",
        "quoted value",
        "x",
    )

    generated = tmp_path / "generated.env"
    ensure_local_env(generated)
    text = generated.read_text()
    assert "SECRET_KEY=" in text
    assert "GRIDGOV_DATA_KEY=" in text
    assert oct(generated.stat().st_mode & 0o777) == "0o600"
    ensure_local_env(generated)  # never overwrites existing keys
    assert generated.read_text() == text


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("", None),
        ("/dev/log", "/dev/log"),
        ("logs.example.org", ("logs.example.org", 514)),
        ("10.0.0.5:1514", ("10.0.0.5", 1514)),
        ("[::1]:514", ("::1", 514)),
    ],
)
def test_syslog_addresses(monkeypatch, raw, address):
    monkeypatch.setenv("AUDIT_CHECKPOINT_SYSLOG", raw)
    assert env_syslog_address("AUDIT_CHECKPOINT_SYSLOG") == address


@pytest.mark.parametrize("raw", ["host:0", "host:99999", "host:abc", "ho st", ":514", "host;rm"])
def test_bad_syslog_address_is_refused(monkeypatch, raw):
    monkeypatch.setenv("AUDIT_CHECKPOINT_SYSLOG", raw)
    with pytest.raises(ImproperlyConfigured, match="AUDIT_CHECKPOINT_SYSLOG"):
        env_syslog_address("AUDIT_CHECKPOINT_SYSLOG")
