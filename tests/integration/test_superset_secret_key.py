"""A Superset metadata database written under another SECRET_KEY: detected before `superset init` with a clear
Chinese / English error, re-encrypted when the previous key is given, reset when asked. Real Superset
(``.venv-superset``): `superset db upgrade` and `superset set-database-uri` write the encrypted password."""

from __future__ import annotations

import secrets
from dataclasses import replace

import psycopg
import pytest

from vaxdw.bi import server
from vaxdw.bi.metadata_secrets import SecretKeyMismatch, check_metadata_secrets, undecryptable_fields
from vaxdw.settings import get_settings

pytestmark = [
    pytest.mark.superset,
    pytest.mark.skipif(not (server.VENV_DIR / "bin" / "superset").exists(),
                       reason=".venv-superset missing: `make superset-venv`"),
]

METADATA = "vaxdw_superset_keytest"


@pytest.fixture(scope="module")
def metadata_db(pg_admin, tmp_path_factory):
    """A metadata database migrated by Superset holding one connection with an encrypted password."""
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {METADATA} with (force)")
        conn.execute(f"create database {METADATA}")
    metadata = replace(pg_admin, dbname=METADATA)
    sup = _instance(tmp_path_factory.mktemp("superset-key-a"))
    server.write_config(sup, metadata)
    server.superset_cli(sup, "db", "upgrade")
    server.superset_cli(sup, "set-database-uri", "--database_name", "analyst_db",
                        "--uri", "postgresql://someone:s3cret-pw@127.0.0.1:5/analytics")
    return metadata, sup


def _instance(home):
    return server.instance(replace(get_settings(), superset_home=home, superset_admin_password="x"))


def _with_new_key(tmp_path, metadata):
    sup = _instance(tmp_path)
    (sup.home / "secret_key").write_text(secrets.token_urlsafe(42), encoding="utf-8")
    server.write_config(sup, metadata)
    return sup


def _password_column(metadata) -> bytes | None:
    with psycopg.connect(metadata.url) as conn:
        return conn.execute("select password from dbs where database_name = 'analyst_db'").fetchone()[0]


def test_same_key_passes(metadata_db):
    metadata, sup = metadata_db
    assert _password_column(metadata) is not None
    assert undecryptable_fields(sup, metadata) == []
    assert check_metadata_secrets(sup, metadata) == []


def test_other_key_is_a_clear_error_then_re_encrypted_with_the_previous_key(metadata_db, tmp_path):
    metadata, original = metadata_db
    sup = _with_new_key(tmp_path, metadata)
    with pytest.raises(SecretKeyMismatch) as err:
        check_metadata_secrets(sup, metadata)
    message = str(err.value)
    assert "无法用当前密钥" in message and "Invalid decryption key" in message
    assert "dbs.password (analyst_db)" in message and "--reset-connections" in message
    assert "VAXDW_SUPERSET_PREVIOUS_SECRET_KEY" in message
    assert [f.column for f in err.value.fields] == ["password"]

    # a wrong previous key repairs nothing: still the error, saying so
    with pytest.raises(SecretKeyMismatch) as wrong:
        check_metadata_secrets(sup, metadata, previous_key="not-the-old-key")
    assert "re-encrypted 0 metadata secret(s)" in str(wrong.value)
    # the right one re-encrypts under the new key; the original key now fails
    old_key = (original.home / "secret_key").read_text(encoding="utf-8").strip()
    notes = check_metadata_secrets(sup, metadata, previous_key=old_key)
    assert notes == ["re-encrypted 1 metadata secret(s) under the current key (VAXDW_SUPERSET_PREVIOUS_SECRET_KEY)"]
    assert undecryptable_fields(sup, metadata) == []
    assert len(undecryptable_fields(original, metadata)) == 1
    # put it back for the other tests
    check_metadata_secrets(original, metadata,
                           previous_key=(sup.home / "secret_key").read_text(encoding="utf-8").strip())


def test_reset_clears_only_the_undecryptable_secret(metadata_db, tmp_path):
    metadata, _ = metadata_db
    sup = _with_new_key(tmp_path, metadata)
    with psycopg.connect(metadata.url) as conn:
        before = conn.execute("select count(*), max(sqlalchemy_uri) from dbs").fetchone()
    notes = check_metadata_secrets(sup, metadata, reset=True)
    assert notes == ["cleared dbs.password of connection analyst_db"]
    assert _password_column(metadata) is None
    assert check_metadata_secrets(sup, metadata) == []
    with psycopg.connect(metadata.url) as conn:  # the connection itself (URI with masked password) stays
        assert conn.execute("select count(*), max(sqlalchemy_uri) from dbs").fetchone() == before
