"""Tests of geo.safeio: bounded reads of untrusted files and zip archives refused by what they declare."""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zipfile
from pathlib import Path

import pytest

from geo.errors import DataError
from geo.safeio import RATIO_FLOOR_BYTES, check_zip, format_size, read_limited

ZIP_LIMITS = {"max_members": 50, "max_uncompressed_bytes": 64 * 1024**2, "max_ratio": 100.0}


def assert_bilingual(exc: pytest.ExceptionInfo[DataError], *fragments: str) -> str:
    text = str(exc.value)
    zh, sep, en = text.partition(" / ")
    assert sep, text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), text
    assert en.isascii() or any(c.isalpha() for c in en), text
    for fragment in fragments:
        assert fragment in zh and fragment in en, (fragment, text)
    return text


class CountingReader(io.RawIOBase):
    """An endless stream that counts how many bytes were taken from it."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = b"x" * n
        self.taken += n
        return n


def test_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert read_limited(path, max_bytes=8, what="设施表 facility file") == b"a,b\n1,2\n"
    assert read_limited(str(path), max_bytes=100, what="ok.csv") == b"a,b\n1,2\n"
    with path.open("rb") as handle:
        assert read_limited(handle, max_bytes=100, what="ok.csv") == b"a,b\n1,2\n"
    assert read_limited(b"abc", max_bytes=3, what="x") == b"abc"


def test_over_limit_file_is_refused_naming_file_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (2 * 1024 * 1024 + 1))
    with pytest.raises(DataError) as exc:
        read_limited(path, max_bytes=2 * 1024 * 1024, what="设施表 facility file")
    assert_bilingual(exc, "big.csv", "2 MB")


def test_stream_over_limit_reads_only_limit_plus_one() -> None:
    stream = CountingReader()
    with pytest.raises(DataError) as exc:
        read_limited(stream, max_bytes=10_000, what="upload.csv")
    assert stream.taken == 10_001
    assert_bilingual(exc, "upload.csv", "9.8 KB")


def test_growing_file_is_cut_at_limit_plus_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file whose size says it is small but keeps giving bytes (as /proc files or a file being
    # appended to do): the read stops at limit + 1 all the same.
    path = tmp_path / "growing.csv"
    path.write_bytes(b"y" * 5000)
    real_fstat = os.fstat

    def small_fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        fields = list(st)
        fields[6] = 10  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", small_fstat)
    with pytest.raises(DataError, match="limit"):
        read_limited(path, max_bytes=1000, what="growing.csv")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | bytes] = []

    def attempt() -> None:
        try:
            outcome.append(read_limited(fifo, max_bytes=100, what="pipe.csv"))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], DataError)
    text = str(outcome[0])
    assert "FIFO" in text and "不是普通文件" in text and "not a regular file" in text


def test_dev_zero_is_refused() -> None:
    with pytest.raises(DataError) as exc:
        read_limited("/dev/zero", max_bytes=1000, what="")
    text = assert_bilingual(exc, "/dev/zero")
    assert "设备" in text and "a device" in text


def test_device_file_object_is_refused() -> None:
    with open("/dev/zero", "rb") as handle, pytest.raises(DataError, match="not a regular file"):
        read_limited(handle, max_bytes=1000, what="stdin")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_limited(tmp_path, max_bytes=1000, what="")
    text = assert_bilingual(exc, str(tmp_path))
    assert "文件夹" in text and "directory" in text


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_limited(tmp_path / "nope.csv", max_bytes=1000, what="")
    assert_bilingual(exc, "nope.csv")


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 512, 64 * 1024, 8 * 1024**2, 1536 * 1024**2)] == [
        "0 B", "512 B", "64 KB", "8 MB", "1.5 GB",
    ]  # fmt: skip


# --- zip archives -----------------------------------------------------------------------------------


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_ordinary_archive_passes_with_its_summary(tmp_path: Path) -> None:
    data = make_zip({"a.xml": b"<a>hello</a>" * 100, "b.xml": os.urandom(4000)})
    summary = check_zip(data, **ZIP_LIMITS)
    assert (summary.members, summary.uncompressed_bytes) == (2, 1200 + 4000)
    path = tmp_path / "ok.xlsx"
    path.write_bytes(data)
    assert check_zip(path, **ZIP_LIMITS) == summary


def test_small_repetitive_members_are_not_held_to_the_ratio() -> None:
    data = make_zip({"styles.xml": b" " * (RATIO_FLOOR_BYTES - 1)})
    assert check_zip(data, **ZIP_LIMITS).members == 1


def test_bomb_by_declared_size() -> None:
    data = bytearray(make_zip({"xl/worksheets/sheet1.xml": b"\0" * 1000}))
    end = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<L", data[end + 16 : end + 20])
    data[cd_offset + 24 : cd_offset + 28] = struct.pack("<L", 65 * 1024**2)  # declared: 65 MB
    limits = {**ZIP_LIMITS, "max_ratio": 1e9}
    with pytest.raises(DataError) as exc:
        check_zip(bytes(data), what="bomb.xlsx", **limits)
    assert_bilingual(exc, "bomb.xlsx", "64 MB")


def test_bomb_by_ratio() -> None:
    data = make_zip({"xl/sharedStrings.xml": b"A" * (8 * 1024**2)})
    with pytest.raises(DataError) as exc:
        check_zip(data, what="ratio.xlsx", **ZIP_LIMITS)
    text = assert_bilingual(exc, "ratio.xlsx", "100:1")
    assert "xl/sharedStrings.xml" in text


def test_bomb_by_member_count_is_refused_before_the_directory_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = make_zip({f"m{k}.xml": b"" for k in range(200)}, compression=zipfile.ZIP_STORED)

    def no_parsing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", no_parsing)
    with pytest.raises(DataError) as exc:
        check_zip(data, what="many.xlsx", **ZIP_LIMITS)
    assert_bilingual(exc, "many.xlsx", "200", "50")


def test_member_count_lying_in_the_end_record_is_still_caught() -> None:
    data = bytearray(make_zip({f"m{k}.xml": b"" for k in range(60)}, compression=zipfile.ZIP_STORED))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 1, 1)  # the end record claims one entry
    with pytest.raises(DataError, match="60"):
        check_zip(bytes(data), what="liar.zip", **ZIP_LIMITS)


def test_overlapping_members_are_refused() -> None:
    # Two central-directory entries that point at the same compressed data (Fifield's
    # non-recursive bomb in miniature): compressed sizes add up to more than the file.
    payload = os.urandom(3000)
    data = bytearray(make_zip({"a.bin": payload}, compression=zipfile.ZIP_STORED))
    end = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<LL", data[end + 12 : end + 20])
    entry = bytes(data[cd_offset : cd_offset + cd_size])
    copy = bytearray(entry)
    copy[46:51] = b"b.bin"
    new_cd = entry + bytes(copy)
    rebuilt = bytearray(data[:cd_offset]) + new_cd
    eocd = bytearray(data[end : end + 22])
    eocd[8:12] = struct.pack("<HH", 2, 2)
    eocd[12:16] = struct.pack("<L", len(new_cd))
    with pytest.raises(DataError) as exc:
        check_zip(bytes(rebuilt + eocd), what="overlap.zip", **ZIP_LIMITS)
    assert_bilingual(exc, "overlap.zip")


def test_not_a_zip_is_a_data_error() -> None:
    with pytest.raises(DataError) as exc:
        check_zip(b"PK\x03\x04 but not really a zip", what="fake.xlsx", **ZIP_LIMITS)
    assert_bilingual(exc, "fake.xlsx")


def test_zip_path_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO"):
        check_zip(fifo, **ZIP_LIMITS)


def test_declared_size_bounds_what_zipfile_decompresses() -> None:
    # The declared sizes are a real bound: a member that lies about its size is cut there by
    # zipfile (and fails its CRC) instead of decompressing what it really holds.
    data = bytearray(make_zip({"x.xml": b"\0" * 1_000_000}))
    end = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<L", data[end + 16 : end + 20])
    data[cd_offset + 24 : cd_offset + 28] = struct.pack("<L", 1000)  # central directory: 1,000 bytes
    data[22:26] = struct.pack("<L", 1000)  # local header too
    assert check_zip(bytes(data), **ZIP_LIMITS).uncompressed_bytes == 1000
    with (
        zipfile.ZipFile(io.BytesIO(bytes(data))) as archive,
        archive.open("x.xml") as member,
        pytest.raises(zipfile.BadZipFile),
    ):
        member.read()
