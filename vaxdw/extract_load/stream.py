"""Stream COPY text-format bytes from the source to the warehouse, catching broken encodings.

Rows arrive in chunks that may end mid-row; complete rows are checked as UTF-8 in one call
(the fast path) and only a chunk that fails is split into rows, so a row in a legacy encoding
(e.g. GBK bytes in a SQL_ASCII database) is set aside instead of failing the whole load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...


@dataclass
class StreamStats:
    rows: int = 0
    bad_lines: list[tuple[bytes, str]] = field(default_factory=list)


def _split_bad(complete: bytes, writer: Writer, stats: StreamStats) -> None:
    good: list[bytes] = []
    for line in complete.split(b"\n")[:-1]:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            stats.bad_lines.append((line, f"编码错误: 不是有效的 UTF-8 ({exc.reason}, 第 {exc.start} 字节)"))
        else:
            good.append(line + b"\n")
    if good:
        writer.write(b"".join(good))


def pipe_rows(chunks: Iterable[bytes], writer: Writer) -> StreamStats:
    """Copy complete text-format rows from ``chunks`` to ``writer``; return counts and bad rows."""
    stats = StreamStats()
    pending = b""
    for chunk in chunks:
        data = pending + bytes(chunk) if pending else bytes(chunk)
        cut = data.rfind(b"\n") + 1
        pending = data[cut:]
        if not cut:
            continue
        complete = data[:cut] if cut < len(data) else data
        stats.rows += complete.count(b"\n")
        try:
            complete.decode("utf-8")
        except UnicodeDecodeError:
            _split_bad(complete, writer, stats)
        else:
            writer.write(complete)
    if pending:
        # COPY TO always ends rows with a newline; a trailing fragment means a truncated stream.
        raise ValueError(f"truncated COPY stream: {len(pending)} bytes after the last row")
    return stats


def field_of(line: bytes, index: int) -> str:
    """The ``index``-th tab-separated field of a raw COPY line, decoded leniently for display."""
    parts = line.split(b"\t")
    return parts[index].decode("utf-8", errors="backslashreplace") if index < len(parts) else ""


_UNESCAPE = {b"\\\\": b"\\", b"\\t": b"\t", b"\\n": b"\n", b"\\r": b"\r", b"\\N": b""}


def copy_fields(line: bytes) -> list[str]:
    """Split a COPY text-format line into fields, undoing COPY's backslash escapes."""
    fields = []
    for raw in line.split(b"\t"):
        out, i = bytearray(), 0
        while i < len(raw):
            pair = raw[i:i + 2]
            if pair in _UNESCAPE:
                out += _UNESCAPE[pair]
                i += 2
            else:
                out.append(raw[i])
                i += 1
        fields.append(out.decode("utf-8", errors="backslashreplace"))
    return fields
