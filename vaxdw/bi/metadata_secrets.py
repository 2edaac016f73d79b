"""Does the metadata database belong to this ``SECRET_KEY``?

Superset encrypts database passwords (and a few other fields) in its metadata database with ``SECRET_KEY``.
A metadata database written under another key (a new ``.superset/`` state folder, a lost volume, a copied
database) makes ``superset init`` and the asset import fail with a bare ``Invalid decryption key``. Before
anything touches it, :func:`check_metadata_secrets` tries to decrypt every encrypted value with the current
key (with Superset's own ``sqlalchemy_utils`` in its virtualenv) and, when some fail, either

- re-encrypts them with the current key when the previous key is given (``VAXDW_SUPERSET_PREVIOUS_SECRET_KEY``;
  done here: Superset 6.1's ``superset re-encrypt-secrets`` finds no encrypted columns when run from the CLI), or
- resets them when asked (``vaxdw superset up --reset-connections``): the undecryptable fields of database
  connections are cleared (the warehouse connection's password is filled in again by the import; a connection
  added by hand must get its password re-entered) and undecryptable SSH tunnels / OAuth2 tokens are deleted, or
- stops with :class:`SecretKeyMismatch`, a Chinese / English message naming the fixes.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from vaxdw.bi import server
from vaxdw.db import PgParams

# Superset 6.1's encrypted columns (superset/models/core.py, superset/databases/ssh_tunnel/models.py).
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "dbs": ("password", "encrypted_extra", "server_cert"),
    "ssh_tunnels": ("username", "password", "private_key", "private_key_password"),
    "database_user_oauth2_tokens": ("access_token", "refresh_token"),
}
PREVIOUS_KEY_ENV = "VAXDW_SUPERSET_PREVIOUS_SECRET_KEY"

# Run by the Superset virtualenv's python with Superset's own sqlalchemy_utils: decrypt every non-null encrypted
# value with ``key``; with ``previous_key``, re-encrypt under ``key`` the values only the previous key decrypts
# (what `superset re-encrypt-secrets` should do; in 6.1 it finds no encrypted columns outside the web app).
_CHECK_SCRIPT = r"""
import json, sys
import sqlalchemy as sa
from sqlalchemy_utils.types.encrypted.encrypted_type import EncryptedType
job = json.load(sys.stdin)
engine = sa.create_engine(job["uri"])
enc = EncryptedType(sa.Text, job["key"])
previous = EncryptedType(sa.Text, job["previous_key"]) if job.get("previous_key") else None
dialect = engine.dialect
bad, re_encrypted = [], 0


def decrypt(kind, raw):
    try:
        return kind.process_result_value(raw, dialect), None
    except Exception as exc:  # ValueError('Invalid decryption key') or a padding error
        return None, str(exc) or type(exc).__name__


with engine.begin() as conn:
    for table, columns in job["columns"].items():
        present = {r[0] for r in conn.execute(sa.text(
            "select column_name from information_schema.columns where table_schema = 'public' "
            "and table_name = :t"), {"t": table})}
        cols = [c for c in columns if c in present]
        if not cols:
            continue
        name = "database_name" if table == "dbs" else "id"
        rows = conn.execute(sa.text(f"select id, {name} as name, {', '.join(cols)} from {table}")).mappings().all()
        for row in rows:
            for col in cols:
                value = row[col]
                if value is None:
                    continue
                # bytes, as Superset's SecretsMigrator reads them (EncryptedType decrypts bytes only)
                raw = value.tobytes() if hasattr(value, "tobytes") else value
                raw = raw.encode() if isinstance(raw, str) else bytes(raw)
                _, error = decrypt(enc, raw)
                if error and previous is not None:
                    plain, previous_error = decrypt(previous, raw)
                    if previous_error is None:
                        conn.execute(sa.text(f"update {table} set {col} = :v where id = :id"),
                                     {"v": enc.process_bind_param(plain, dialect), "id": row["id"]})
                        re_encrypted += 1
                        continue
                if error:
                    bad.append({"table": table, "id": row["id"], "name": str(row["name"]), "column": col,
                                "error": error})
print(json.dumps({"bad": bad, "re_encrypted": re_encrypted}))
"""


@dataclass(frozen=True)
class UndecryptableField:
    table: str
    id: int
    name: str
    column: str
    error: str


class SecretKeyMismatch(RuntimeError):
    def __init__(self, sup: server.Superset, fields: list[UndecryptableField], notes: list[str] | None = None):
        self.fields = fields
        self.notes = notes or []
        where = ", ".join(sorted({f"{f.table}.{f.column} ({f.name})" for f in fields}))
        super().__init__(
            f"Superset 元数据库中的加密字段无法用当前密钥 ({sup.home / 'secret_key'}) 解密 (Invalid decryption key): "
            f"{where}。元数据库是用另一个 SECRET_KEY 写入的。处理办法 (任选其一):\n"
            f"  1. 找回原来的密钥, 写回 {sup.home / 'secret_key'} (生产环境: 保留 .superset 卷), 再运行 vaxdw superset up;\n"
            f"  2. 知道原密钥时: {PREVIOUS_KEY_ENV}=<原密钥> vaxdw superset up — 用当前密钥重新加密;\n"
            f"  3. 原密钥已丢失: vaxdw superset up --reset-connections — 清除无法解密的连接密码 "
            f"(仓库连接的密码在导入时重新写入; 手工添加的其他连接需重新输入密码)。\n"
            f"The metadata database's encrypted fields cannot be decrypted with the current SECRET_KEY "
            f"({sup.home / 'secret_key'}): it was written under another key. Fix: restore the old key into that "
            f"file; or set {PREVIOUS_KEY_ENV} to the old key to re-encrypt; or, with the old key lost, run "
            f"`vaxdw superset up --reset-connections` (clears the undecryptable connection secrets; the warehouse "
            f"password is re-filled by the import, other connections need their password re-entered)."
            + "".join(f"\n  ({note})" for note in self.notes))


def _run_check(sup: server.Superset, metadata: PgParams, key: str | None, previous_key: str | None) -> dict:
    python = server.VENV_DIR / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"{python} missing: run `make superset-venv` (installs requirements-superset.lock)")
    job = {"uri": metadata.sqlalchemy_url, "key": key or (sup.home / "secret_key").read_text(encoding="utf-8").strip(),
           "previous_key": previous_key, "columns": ENCRYPTED_COLUMNS}
    proc = subprocess.run([str(python), "-c", _CHECK_SCRIPT], input=json.dumps(job), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"checking the Superset metadata secrets failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def undecryptable_fields(sup: server.Superset, metadata: PgParams, key: str | None = None) -> list[UndecryptableField]:
    """The encrypted metadata values the key (default: the state folder's) cannot decrypt."""
    return [UndecryptableField(**row) for row in _run_check(sup, metadata, key, None)["bad"]]


def re_encrypt(sup: server.Superset, metadata: PgParams, previous_key: str) -> int:
    """Re-encrypt under the current key the values the previous key decrypts; returns how many."""
    return int(_run_check(sup, metadata, None, previous_key)["re_encrypted"])


def reset_fields(metadata: PgParams, fields: list[UndecryptableField]) -> list[str]:
    """Clear undecryptable connection secrets; delete undecryptable SSH tunnels and OAuth2 tokens (unusable
    without the old key). Returns what was done, one line each."""
    import psycopg
    from psycopg import sql

    done = []
    with psycopg.connect(metadata.url) as conn:
        for field in fields:
            if field.table == "dbs":
                conn.execute(sql.SQL("update dbs set {} = null where id = %s").format(sql.Identifier(field.column)),
                             (field.id,))
                done.append(f"cleared dbs.{field.column} of connection {field.name}")
            else:
                conn.execute(sql.SQL("delete from {} where id = %s").format(sql.Identifier(field.table)), (field.id,))
                done.append(f"deleted {field.table} row {field.id}")
    return sorted(set(done))


def check_metadata_secrets(sup: server.Superset, metadata: PgParams, previous_key: str | None = None,
                           reset: bool = False) -> list[str]:
    """Make sure every encrypted metadata value decrypts with the current key (see the module docstring).
    Returns notes of what was repaired; raises :class:`SecretKeyMismatch` when nothing may be repaired."""
    fields = undecryptable_fields(sup, metadata)
    if not fields:
        return []
    notes: list[str] = []
    if previous_key:
        done = re_encrypt(sup, metadata, previous_key)
        notes.append(f"re-encrypted {done} metadata secret(s) under the current key ({PREVIOUS_KEY_ENV})")
        fields = undecryptable_fields(sup, metadata)
    if fields and reset:
        notes += reset_fields(metadata, fields)
        fields = undecryptable_fields(sup, metadata)
    if fields:
        raise SecretKeyMismatch(sup, fields, notes)
    return notes
