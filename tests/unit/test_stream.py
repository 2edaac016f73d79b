"""The COPY byte stream: rows split across chunks, broken encodings set aside, COPY escapes undone."""

import pytest

from vaxdw.extract_load.stream import copy_fields, field_of, pipe_rows


class Sink:
    def __init__(self):
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def test_rows_split_across_chunks_arrive_whole():
    rows = [f"{i}\t名字{i}\t2024-01-0{i % 9 + 1}\n".encode() for i in range(50)]
    stream = b"".join(rows)
    chunks = [stream[i:i + 7] for i in range(0, len(stream), 7)]  # cuts through rows and UTF-8 characters
    sink = Sink()
    stats = pipe_rows(chunks, sink)
    assert sink.data == stream and stats.rows == 50 and stats.bad_lines == []


def test_badly_encoded_row_is_set_aside_and_counted():
    good = "1\t张三\n".encode()
    bad = b"2\t\xd5\xc5\xc8\xfd\n"  # GBK bytes
    sink = Sink()
    stats = pipe_rows([good + bad + good], sink)
    assert stats.rows == 3
    assert sink.data == good + good
    ((line, reason),) = stats.bad_lines
    assert line == bad.rstrip(b"\n") and "UTF-8" in reason
    assert field_of(line, 0) == "2"


def test_truncated_stream_is_an_error():
    with pytest.raises(ValueError, match="truncated"):
        pipe_rows([b"1\tabc\n2\tde"], Sink())


def test_copy_fields_undoes_escapes():
    assert copy_fields(b"7\ta\\tb\\\\c\\nd\t\\N") == ["7", "a\tb\\c\nd", ""]
