"""Bounded, safe reading of files that come from outside: uploads and files named on the command line.

Two guards, used before anything parses a user's file:

- :func:`read_limited` returns the bytes of a path or a binary file object, refusing what is not a
  regular file (a FIFO would block forever, ``/dev/zero`` never ends, a directory is not data) and
  anything larger than the limit. It reads at most ``max_bytes + 1`` bytes whatever the file
  claims, so a file that grows while it is read cannot exhaust memory either.
- :func:`check_zip` refuses a zip archive (XLSX, a zipped Shapefile) by its declared member count,
  declared uncompressed sizes and compression ratio, before anything is decompressed. Python's
  ``zipfile`` (which openpyxl uses) stops each member at its declared size, so the declared sizes
  are a real bound on what decompression can produce.

Both raise :class:`~geo.errors.DataError` with a message in Chinese and English that names the file
and the limit. This module only reads; it never writes.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from geo.errors import DataError

__all__ = [
    "RATIO_FLOOR_BYTES",
    "ZipSummary",
    "check_zip",
    "format_size",
    "read_limited",
]

RATIO_FLOOR_BYTES: Final[int] = 1024 * 1024
"""Members (and archives) smaller than this uncompressed are not held to the compression ratio:
a few kilobytes of repetitive XML legitimately compress 100-fold and cannot hurt."""

_CHUNK_BYTES: Final[int] = 1024 * 1024
_EOCD_SIGNATURE: Final[bytes] = b"PK\x05\x06"
_EOCD_SIZE: Final[int] = 22
_ZIP64_LOCATOR_SIGNATURE: Final[bytes] = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE: Final[int] = 20
_ZIP64_EOCD_SIGNATURE: Final[bytes] = b"PK\x06\x06"
_ZIP64_EOCD_SIZE: Final[int] = 56
_MAX_COMMENT_BYTES: Final[int] = 0xFFFF

Source = str | os.PathLike[str] | BinaryIO | bytes | bytearray | memoryview


def format_size(n_bytes: int | float) -> str:
    """A byte count for people: ``512 B``, ``64 KB``, ``8 MB``, ``1.5 GB`` (binary multiples)."""
    value = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            if unit == "B" or value == int(value):
                return f"{int(value)} {unit}"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def _label(what: str, path: Path | None) -> str:
    """How messages name the file: ``what``, with the path when ``what`` does not already say it."""
    if path is None:
        return what or "文件 file"
    shown = str(path)
    if not what or what in (shown, path.name):
        return shown
    return f"{what} ({shown})"


def _kind_of(mode: int) -> tuple[str, str]:
    if stat.S_ISDIR(mode):
        return "文件夹", "a directory"
    if stat.S_ISFIFO(mode):
        return "管道(FIFO)", "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件", "a device"
    if stat.S_ISSOCK(mode):
        return "套接字", "a socket"
    return "特殊文件", "a special file"


def _not_regular(label: str, mode: int) -> DataError:
    zh, en = _kind_of(mode)
    msg = (
        f"{label} 是{zh},不是普通文件,不能作为数据读取;请给出一个普通文件。 / "
        f"{label} is {en}, not a regular file, and cannot be read as data; give a regular file."
    )
    return DataError(msg)


def _too_large(label: str, max_bytes: int, size: int | None) -> DataError:
    if size is None:
        size_zh, size_en = f"超过 {format_size(max_bytes)}", f"more than {format_size(max_bytes)}"
    else:
        size_zh = size_en = format_size(size)
    msg = (
        f"{label} 的大小为 {size_zh},超过上限 {format_size(max_bytes)};未读取。请拆分为较小的文件。 / "
        f"{label} is {size_en}, above the limit of {format_size(max_bytes)}; it was not read. "
        "Split it into smaller files."
    )
    return DataError(msg)


def _read_at_most(read: object, max_bytes: int) -> bytes:
    """Read until end of file or ``max_bytes + 1`` bytes, whichever comes first."""
    buffer = bytearray()
    wanted = max_bytes + 1
    while len(buffer) < wanted:
        chunk = read(min(_CHUNK_BYTES, wanted - len(buffer)))  # type: ignore[operator]
        if chunk is None:  # a non-blocking stream with nothing to give
            break
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _open_regular(path: Path, label: str) -> int:
    """Open ``path`` for reading without blocking and return the descriptor of a regular file."""
    # O_NONBLOCK: opening a FIFO for reading must not wait for a writer; it is refused just after.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise _not_regular(label, stat.S_IFDIR) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        msg = f"无法读取 {label}:{reason}。 / Cannot read {label}: {reason}."
        raise DataError(msg) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(label, mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_limited(source: Source, *, max_bytes: int, what: str) -> bytes:
    """The bytes of an untrusted file, refusing special files and anything over ``max_bytes``.

    Parameters
    ----------
    source
        A path (``str`` or path-like), a binary file object (e.g. an upload), or bytes already
        in memory (then only the size is checked).
    max_bytes
        Largest accepted size (bytes). At most ``max_bytes + 1`` bytes are ever read.
    what
        How messages name the file, e.g. ``"设施表 facility file"`` or the uploaded file's name;
        for a path, the path is added when ``what`` does not already say it.

    Returns
    -------
    bytes
        The whole content, at most ``max_bytes`` long.

    Raises
    ------
    DataError
        When the path cannot be opened, is not a regular file (directory, FIFO, device, socket),
        or the content is larger than ``max_bytes``. The message names the file and the limit.
    """
    if max_bytes < 0:
        msg = f"max_bytes 不能为负数:{max_bytes}。 / max_bytes cannot be negative: {max_bytes}."
        raise ValueError(msg)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise _too_large(_label(what, None), max_bytes, len(data))
        return data
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = _label(what, path)
        fd = _open_regular(path, label)
        with os.fdopen(fd, "rb", buffering=0) as handle:
            declared = os.fstat(handle.fileno()).st_size
            if declared > max_bytes:
                raise _too_large(label, max_bytes, declared)
            data = _read_at_most(handle.read, max_bytes)
    else:
        label = _label(what, None)
        try:
            fileno = source.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            fileno = None
        if fileno is not None:
            mode = os.fstat(fileno).st_mode
            if not stat.S_ISREG(mode):
                raise _not_regular(label, mode)
        data = _read_at_most(source.read, max_bytes)
    if len(data) > max_bytes:
        raise _too_large(label, max_bytes, None)
    return data


# --- zip archives ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipSummary:
    """What a zip archive declares, after :func:`check_zip` accepted it.

    Attributes
    ----------
    members
        Number of entries in the central directory.
    uncompressed_bytes
        Sum of the declared uncompressed sizes (bytes).
    compressed_bytes
        Sum of the declared compressed sizes (bytes).
    """

    members: int
    uncompressed_bytes: int
    compressed_bytes: int


def _declared_entries(handle: BinaryIO, size: int) -> int | None:
    """The entry count of the end-of-central-directory record, read without parsing the directory.

    Returns None when no record is found (``zipfile`` then reports the archive as broken).
    """
    tail_size = min(size, _EOCD_SIZE + _MAX_COMMENT_BYTES)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    start = tail.rfind(_EOCD_SIGNATURE)
    if start < 0 or start + _EOCD_SIZE > len(tail):
        return None
    entries = int(struct.unpack("<H", tail[start + 10 : start + 12])[0])
    locator_at = start - _ZIP64_LOCATOR_SIZE
    if (
        entries == 0xFFFF
        and locator_at >= 0
        and tail[locator_at : locator_at + 4] == _ZIP64_LOCATOR_SIGNATURE
    ):
        (zip64_offset,) = struct.unpack("<Q", tail[locator_at + 8 : locator_at + 16])
        if 0 <= zip64_offset <= size - _ZIP64_EOCD_SIZE:
            handle.seek(zip64_offset)
            record = handle.read(_ZIP64_EOCD_SIZE)
            if record[:4] == _ZIP64_EOCD_SIGNATURE:
                entries = int(struct.unpack("<Q", record[32:40])[0])
    return entries


def check_zip(
    data_or_path: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    max_members: int,
    max_uncompressed_bytes: int,
    max_ratio: float,
    what: str = "",
) -> ZipSummary:
    """Refuse a zip archive by what it declares, before anything is decompressed.

    Parameters
    ----------
    data_or_path
        The archive's bytes, or the path of a regular file (never a FIFO or device).
    max_members
        Most entries accepted. Read from the end record before the central directory is parsed,
        so an archive of millions of empty entries is refused without building them.
    max_uncompressed_bytes
        Largest accepted sum of the members' declared uncompressed sizes (bytes).
    max_ratio
        Largest accepted ratio of uncompressed to compressed size, for every member (and the
        whole archive) of at least :data:`RATIO_FLOOR_BYTES` uncompressed.
    what
        How messages name the archive (e.g. the upload's name); for a path, the path is added.

    Returns
    -------
    ZipSummary
        The declared member count and sizes.

    Raises
    ------
    DataError
        When the archive is not a readable zip file, declares more members or bytes than the
        limits, compresses more than ``max_ratio``, or declares overlapping members (compressed
        sizes adding up to more than the archive). The message names the file and the limit.
    """
    if isinstance(data_or_path, bytes | bytearray | memoryview):
        label = _label(what, None)
        handle: BinaryIO = io.BytesIO(bytes(data_or_path))
        size = len(data_or_path)
    else:
        path = Path(data_or_path)
        label = _label(what, path)
        fd = _open_regular(path, label)
        handle = os.fdopen(fd, "rb")
        size = os.fstat(fd).st_size
    with handle:
        entries = _declared_entries(handle, size)
        if entries is not None and entries > max_members:
            raise _too_many_members(label, entries, max_members)
        handle.seek(0)
        try:
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, struct.error) as exc:
            msg = (
                f"{label} 不是可读的 zip 压缩包(XLSX 也是 zip 格式)({type(exc).__name__});"
                "请重新保存后再上传。 / "
                f"{label} is not a readable zip archive (XLSX files are zip archives) "
                f"({type(exc).__name__}); save it again and upload it again."
            )
            raise DataError(msg) from exc
    if len(infos) > max_members:
        raise _too_many_members(label, len(infos), max_members)
    total = sum(max(0, i.file_size) for i in infos)
    packed = sum(max(0, i.compress_size) for i in infos)
    if total > max_uncompressed_bytes:
        msg = (
            f"{label} 解压后共 {format_size(total)},超过上限 {format_size(max_uncompressed_bytes)};"
            "为防止压缩炸弹未解压。请删除多余的工作表或内容后再上传。 / "
            f"{label} declares {format_size(total)} uncompressed, above the limit of "
            f"{format_size(max_uncompressed_bytes)}; it was not decompressed (zip bomb guard). "
            "Remove extra sheets or content and upload it again."
        )
        raise DataError(msg)
    if packed > size:
        msg = (
            f"{label} 的成员互相重叠(压缩大小合计 {format_size(packed)},大于文件本身 {format_size(size)}),"
            "是构造出来的压缩包;未解压。 / "
            f"{label} has overlapping members (compressed sizes add up to {format_size(packed)}, more "
            f"than the file's {format_size(size)}): a crafted archive; it was not decompressed."
        )
        raise DataError(msg)
    checked = [(i.filename, i.file_size, i.compress_size) for i in infos]
    checked.append(("", total, packed))
    for name, unpacked, compressed in checked:
        if unpacked < RATIO_FLOOR_BYTES:
            continue
        ratio = unpacked / max(compressed, 1)
        if ratio > max_ratio:
            member_zh = f"其中“{name}”" if name else "整体"
            member_en = f"member '{name}'" if name else "the archive as a whole"
            msg = (
                f"{label} {member_zh}的压缩比为 {ratio:,.0f}:1(解压后 {format_size(unpacked)}),"
                f"超过上限 {max_ratio:,.0f}:1;疑似压缩炸弹,未解压。请重新保存文件后再上传。 / "
                f"{label}: {member_en} compresses {ratio:,.0f}:1 ({format_size(unpacked)} "
                f"uncompressed), above the limit of {max_ratio:,.0f}:1; it looks like a zip bomb and "
                "was not decompressed. Save the file again and upload it again."
            )
            raise DataError(msg)
    return ZipSummary(len(infos), total, packed)


def _too_many_members(label: str, entries: int, max_members: int) -> DataError:
    msg = (
        f"{label} 含有 {entries:,} 个压缩成员,超过上限 {max_members:,} 个;未解压。 / "
        f"{label} holds {entries:,} archive members, above the limit of {max_members:,}; "
        "it was not decompressed."
    )
    return DataError(msg)
