"""The embedded PostgreSQL (pgserver) starts after a crash left its ``.handle_pids.json`` empty or cut off
(issue 7: after a full disk the next start failed with a bare JSONDecodeError)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from vaxdw.db import HANDLE_PIDS_FILE, repair_handle_pids, start_embedded
from vaxdw.settings import get_settings


@pytest.mark.parametrize("content", ["", "   \n", "[4711, 47", '{"pids": [1]}', "\xff\xfe"])
def test_corrupt_handle_pids_is_reset(tmp_path, caplog, content):
    path = tmp_path / HANDLE_PIDS_FILE
    path.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="vaxdw.db"):
        assert repair_handle_pids(tmp_path)
    assert json.loads(path.read_text()) == []
    assert "left by a crash" in caplog.text and HANDLE_PIDS_FILE in caplog.text


def test_valid_or_missing_handle_pids_is_left_alone(tmp_path):
    assert not repair_handle_pids(tmp_path)
    path = tmp_path / HANDLE_PIDS_FILE
    path.write_text("[12, 34]")
    assert not repair_handle_pids(tmp_path)
    assert path.read_text() == "[12, 34]"


def test_server_starts_with_an_empty_handle_pids_file(caplog):
    import pgserver

    pgdata = Path(tempfile.mkdtemp(prefix="vaxdw-pg-crash-"))
    first = pgserver.get_server(str(pgdata), cleanup_mode="stop")  # an initialised data directory, stopped
    first.cleanup()
    (pgdata / HANDLE_PIDS_FILE).write_text("")  # what the disk-full crash left behind
    try:
        with caplog.at_level(logging.WARNING, logger="vaxdw.db"):
            admin = start_embedded(replace(get_settings(), pgdata_dir=pgdata))
        with psycopg.connect(admin.url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        assert "is empty" in caplog.text
        assert os.getpid() in json.loads((pgdata / HANDLE_PIDS_FILE).read_text())
    finally:
        server = pgserver.get_server(str(pgdata))
        server.cleanup_mode = "delete"
        server.cleanup()
