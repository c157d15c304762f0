"""OSM PBF (``.osm.pbf``) decoding and encoding as array programs (private to :mod:`geo._osm`).

The PBF format is a sequence of zlib-compressed protobuf blocks of about 8,000 nodes or ways each.
Reading it object by object from Python (one callback per way, as a pyosmium handler does) costs
microseconds per way: tens of seconds for a city grid of a million nodes and two million ways. Here
Python touches only blocks (decompression, a few hundred strings per block); a compiled (numba)
decoder walks each block's protobuf and appends node ids and coordinates, way node references and
tag string indices to arrays. Tags are then interned per distinct string and per distinct
combination, so nothing downstream runs per way either.

Format: https://wiki.openstreetmap.org/wiki/PBF_Format (``fileformat.proto``, ``osmformat.proto``).
Supported: ``DenseNodes`` and plain ``Node`` messages, ``Way`` with packed or unpacked fields,
zlib-compressed or raw blobs (the other compressions are rare and are refused with a clear error).
The encoder writes what the decoder and libosmium read (tests and benchmarks write their networks
with it); it is not a general-purpose writer.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numba
import numpy as np
import numpy.typing as npt

from geo.errors import DataError

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

MAX_BLOB_HEADER_BYTES: Final[int] = 64 * 1024  # the format's own limit
MAX_BLOB_BYTES: Final[int] = 32 * 1024 * 1024  # the format's own limit (uncompressed)
BLOCK_ENTITIES: Final[int] = 8000  # entities per block when writing, as osmium and osmosis do


# --------------------------------------------------------------------------------------------
# Protobuf primitives (compiled)


@numba.njit(cache=True, nogil=True)
def _varint(buf: U8, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos < 0 or pos >= len(buf):
            return -1, -1  # truncated
        b = buf[pos]
        pos += 1
        result |= (int(b) & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            return -1, -1  # malformed


@numba.njit(cache=True, nogil=True)
def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


@numba.njit(cache=True, nogil=True)
def _skip(buf: U8, pos: int, wire: int) -> int:
    if wire == 0:
        _, pos = _varint(buf, pos)
        return pos
    if wire == 1:
        return pos + 8
    if wire == 2:
        length, pos = _varint(buf, pos)
        return pos + length
    if wire == 5:
        return pos + 4
    return -1


@numba.njit(cache=True, nogil=True)
def _decode_block(buf: U8) -> tuple[I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, bool]:
    """Decode one PrimitiveBlock.

    Returns the string table's byte offsets (starts, ends); nodes (ids, raw lat, raw lon); ways (node
    count, node refs, tag count, key and value string indices); ``[granularity, lat_offset,
    lon_offset]``; and whether the block was well formed (nothing is trusted: every read is bounds
    checked, every length must end where its message ends).
    """
    # Every item takes at least one byte of the block (two for a message), so arrays of the block's
    # size never overflow: no growth checks in the loops.
    size = len(buf) + 1
    s_start = np.empty(size // 2 + 1, dtype=np.int64)
    s_end = np.empty(size // 2 + 1, dtype=np.int64)
    node_id = np.empty(size, dtype=np.int64)
    node_lat = np.empty(size, dtype=np.int64)
    node_lon = np.empty(size, dtype=np.int64)
    way_nref = np.empty(size // 2 + 1, dtype=np.int64)
    refs = np.empty(size, dtype=np.int64)
    way_ntag = np.empty(size // 2 + 1, dtype=np.int64)
    keys = np.empty(size, dtype=np.int64)
    vals = np.empty(size, dtype=np.int64)
    groups = np.empty(size + 1, dtype=np.int64)
    params = np.array([100, 0, 0], dtype=np.int64)
    n_str = n_nodes = n_ways = n_refs = n_keys = n_vals = n_groups = 0
    ok = True
    pos = 0
    end = len(buf)
    # Block fields; groups are decoded after, as the scalar fields may come last.
    while ok and pos < end:
        key, pos = _varint(buf, pos)
        field = key >> 3
        wire = key & 7
        if pos < 0:
            ok = False
        elif field == 1 and wire == 2:  # StringTable
            length, pos = _varint(buf, pos)
            stop = pos + length
            while 0 <= pos < stop:
                k2, pos = _varint(buf, pos)
                if (k2 >> 3) == 1 and (k2 & 7) == 2:
                    ln, pos = _varint(buf, pos)
                    s_start[n_str] = pos
                    s_end[n_str] = pos + ln
                    n_str += 1
                    pos += ln
                else:
                    pos = _skip(buf, pos, k2 & 7)
            ok = pos == stop
        elif field == 2 and wire == 2:  # PrimitiveGroup
            length, pos = _varint(buf, pos)
            groups[2 * n_groups] = pos
            groups[2 * n_groups + 1] = pos + length
            n_groups += 1
            pos += length
        elif wire == 0 and (field == 17 or field == 19 or field == 20):
            value, pos = _varint(buf, pos)
            params[0 if field == 17 else (1 if field == 19 else 2)] = value
        else:
            pos = _skip(buf, pos, wire)
        ok = ok and 0 <= pos <= end
    for g in range(n_groups):
        if not ok:
            break
        pos = groups[2 * g]
        stop = groups[2 * g + 1]
        while ok and 0 <= pos < stop:
            key, pos = _varint(buf, pos)
            field = key >> 3
            wire = key & 7
            if pos < 0:
                ok = False
            elif wire == 2 and (field == 1 or field == 2 or field == 3):
                length, pos = _varint(buf, pos)
                mstop = pos + length
                nid = nla = nlo = 0  # plain node fields
                counts = np.zeros(3, dtype=np.int64)  # dense: ids, lats, lons read
                nref = 0
                k_before = n_keys
                v_before = n_vals
                while 0 <= pos < mstop:
                    k2, pos = _varint(buf, pos)
                    f2 = k2 >> 3
                    w2 = k2 & 7
                    packed = w2 == 2
                    wanted = (
                        (field == 2 and packed and (f2 == 1 or f2 == 8 or f2 == 9))
                        or (field == 1 and w2 == 0 and (f2 == 1 or f2 == 8 or f2 == 9))
                        or (field == 3 and (packed or w2 == 0) and (f2 == 2 or f2 == 3 or f2 == 8))
                    )
                    if pos < 0 or not wanted:
                        pos = _skip(buf, pos, w2)
                        continue
                    vstop = pos
                    if packed:
                        ln, pos = _varint(buf, pos)
                        vstop = pos + ln
                    acc = 0
                    first = True
                    while pos >= 0 and (first or pos < vstop):
                        if packed and pos >= vstop:
                            break
                        first = False
                        raw, pos = _varint(buf, pos)
                        if field == 2:  # DenseNodes: delta-coded sint64
                            acc += _zigzag(raw)
                            c = 0 if f2 == 1 else (1 if f2 == 8 else 2)
                            at = n_nodes + counts[c]
                            if c == 0:
                                node_id[at] = acc
                            elif c == 1:
                                node_lat[at] = acc
                            else:
                                node_lon[at] = acc
                            counts[c] += 1
                        elif field == 1:  # Node: one sint64 each
                            if f2 == 1:
                                nid = _zigzag(raw)
                            elif f2 == 8:
                                nla = _zigzag(raw)
                            else:
                                nlo = _zigzag(raw)
                        elif f2 == 2:
                            keys[n_keys] = raw
                            n_keys += 1
                        elif f2 == 3:
                            vals[n_vals] = raw
                            n_vals += 1
                        else:  # way refs: delta-coded sint64
                            nref_acc = _zigzag(raw)
                            prev = refs[n_refs - 1] if nref > 0 else 0
                            refs[n_refs] = prev + nref_acc
                            n_refs += 1
                            nref += 1
                        if not packed:
                            break
                    ok = ok and pos >= 0 and (not packed or pos == vstop)
                ok = ok and pos == mstop
                if field == 2:
                    ok = ok and counts[0] == counts[1] and counts[0] == counts[2]
                    n_nodes += counts[0]
                elif field == 1:
                    node_id[n_nodes] = nid
                    node_lat[n_nodes] = nla
                    node_lon[n_nodes] = nlo
                    n_nodes += 1
                else:
                    ok = ok and n_keys - k_before == n_vals - v_before
                    way_nref[n_ways] = nref
                    way_ntag[n_ways] = n_keys - k_before
                    n_ways += 1
            else:
                pos = _skip(buf, pos, wire)
        ok = ok and pos == stop
    return (
        s_start[:n_str],
        s_end[:n_str],
        node_id[:n_nodes],
        node_lat[:n_nodes],
        node_lon[:n_nodes],
        way_nref[:n_ways],
        refs[:n_refs],
        way_ntag[:n_ways],
        keys[:n_keys],
        vals[:n_vals],
        params,
        ok,
    )


# --------------------------------------------------------------------------------------------
# Reading


def _message_fields(data: bytes) -> dict[int, bytes | int]:
    """The fields of a small protobuf message (BlobHeader, Blob): last value wins, as protobuf does."""
    out: dict[int, bytes | int] = {}
    pos = 0
    buf = np.frombuffer(data, dtype=np.uint8)
    while 0 <= pos < len(data):
        key, pos = _varint(buf, pos)
        if pos < 0:
            break
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out[field] = value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            out[field] = data[pos : pos + length]
            pos += length
        else:
            pos = _skip(buf, pos, wire)
        if pos < 0 or pos > len(data):
            msg = "malformed protobuf message"
            raise ValueError(msg)
    return out


def _blobs(fh: BinaryIO, name: str) -> list[tuple[str, bytes]]:
    """(type, uncompressed block) for every blob of the file, in order."""
    out: list[tuple[str, bytes]] = []
    while True:
        head = fh.read(4)
        if not head:
            return out
        if len(head) < 4:
            msg = f"cannot read OSM file {name}: truncated blob header length"
            raise DataError(msg)
        (size,) = struct.unpack(">I", head)
        if size > MAX_BLOB_HEADER_BYTES:
            msg = f"cannot read OSM file {name}: blob header of {size} bytes (the format allows 64 KiB); not a PBF file?"
            raise DataError(msg)
        try:
            header = _message_fields(fh.read(size))
        except ValueError:
            header = {}
        kind = header.get(1, b"")
        datasize = header.get(3, 0)
        if not isinstance(kind, bytes) or not isinstance(datasize, int) or datasize > MAX_BLOB_BYTES:
            msg = f"cannot read OSM file {name}: malformed blob header"
            raise DataError(msg)
        raw = fh.read(datasize)
        if len(raw) < datasize:
            msg = f"cannot read OSM file {name}: truncated blob"
            raise DataError(msg)
        try:
            blob = _message_fields(raw)
        except ValueError:
            blob = {}
        plain, packed, raw_size = blob.get(1), blob.get(3), blob.get(2, MAX_BLOB_BYTES)
        if isinstance(plain, bytes):
            data = plain
        elif isinstance(packed, bytes):
            limit = min(raw_size, MAX_BLOB_BYTES) if isinstance(raw_size, int) else MAX_BLOB_BYTES
            try:
                data = zlib.decompressobj().decompress(packed, limit + 1)
            except zlib.error as exc:
                msg = f"cannot read OSM file {name}: a block does not inflate ({exc})"
                raise DataError(msg) from exc
            if len(data) > limit:
                msg = f"cannot read OSM file {name}: a block inflates beyond its declared size"
                raise DataError(msg)
        else:
            msg = (
                f"cannot read OSM file {name}: a block is empty or uses a compression other than zlib "
                "(lzma, lz4 or zstd); recompress the file with osmium cat"
            )
            raise DataError(msg)
        out.append((kind.decode("ascii", "replace"), data))


@dataclass(frozen=True)
class PbfContent:
    """What :func:`read_pbf` returns: nodes, ways and per-way tags as string ids (see ``strings``)."""

    node_id: I64
    node_lon: npt.NDArray[np.float64]
    node_lat: npt.NDArray[np.float64]
    way_indptr: I64
    way_node_id: I64
    tag_ptr: I64
    tag_key: I32
    tag_val: I32
    strings: list[str]


def read_pbf(path: str | Path) -> PbfContent:
    """Decode every node and way of a PBF file into arrays.

    Tag keys and values are ids into ``strings`` (interned across blocks).

    Raises
    ------
    DataError
        When the file is not a valid OSM PBF file.
    """
    name = Path(path).name
    with Path(path).open("rb") as fh:
        blobs = _blobs(fh, name)
    if not blobs or blobs[0][0] != "OSMHeader":
        msg = f"cannot read OSM file {name}: no OSMHeader block; not an OSM PBF file"
        raise DataError(msg)
    intern: dict[bytes, int] = {}
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("id", "lat", "lon", "nref", "refs", "ntag", "key", "val")
    }
    for kind, data in blobs[1:]:
        if kind != "OSMData":
            continue
        buf = np.frombuffer(data, dtype=np.uint8)
        s0, s1, nid, nlat, nlon, nref, refs, ntag, keys, vals, params, ok = _decode_block(buf)
        if not ok:
            msg = f"cannot read OSM file {name}: a data block is malformed"
            raise DataError(msg)
        if len(keys) and (keys.max() >= len(s0) or vals.max() >= len(s0)):
            msg = f"cannot read OSM file {name}: a tag refers past the block's string table"
            raise DataError(msg)
        gran, lat_off, lon_off = (int(x) for x in params)
        if len(nid):
            parts["id"].append(nid)
            parts["lat"].append((lat_off + gran * nlat.astype(np.float64)) * 1e-9)
            parts["lon"].append((lon_off + gran * nlon.astype(np.float64)) * 1e-9)
        if len(nref):
            # Intern only the strings this block's tags use: a few hundred per block.
            used = np.unique(np.concatenate([keys, vals]))
            local = np.full(len(s0), -1, dtype=np.int32)
            for i in used.tolist():
                text = data[int(s0[i]) : int(s1[i])]
                local[i] = intern.setdefault(text, len(intern))
            parts["nref"].append(nref)
            parts["refs"].append(refs)
            parts["ntag"].append(ntag)
            parts["key"].append(local[keys])
            parts["val"].append(local[vals])

    def cat(key: str, dtype: type) -> np.ndarray:
        return (
            np.concatenate(parts[key]).astype(dtype, copy=False) if parts[key] else np.empty(0, dtype=dtype)
        )

    nref_all = cat("nref", np.int64)
    ntag_all = cat("ntag", np.int64)
    way_indptr = np.zeros(len(nref_all) + 1, dtype=np.int64)
    np.cumsum(nref_all, out=way_indptr[1:])
    tag_ptr = np.zeros(len(ntag_all) + 1, dtype=np.int64)
    np.cumsum(ntag_all, out=tag_ptr[1:])
    strings = [s.decode("utf-8", "replace") for s in intern]
    return PbfContent(
        node_id=cat("id", np.int64),
        node_lon=cat("lon", np.float64),
        node_lat=cat("lat", np.float64),
        way_indptr=way_indptr,
        way_node_id=cat("refs", np.int64),
        tag_ptr=tag_ptr,
        tag_key=cat("key", np.int32),
        tag_val=cat("val", np.int32),
        strings=strings,
    )


# --------------------------------------------------------------------------------------------
# Writing (tests and benchmarks)


@numba.njit(cache=True, nogil=True)
def _put_varint(out: U8, pos: int, value: int) -> int:
    v = np.uint64(value)
    while v >= 0x80:
        out[pos] = np.uint8((v & np.uint64(0x7F)) | np.uint64(0x80))
        v >>= np.uint64(7)
        pos += 1
    out[pos] = np.uint8(v)
    return pos + 1


@numba.njit(cache=True, nogil=True)
def _zz(value: int) -> int:
    return (value << 1) ^ (value >> 63)


@numba.njit(cache=True, nogil=True)
def _packed_deltas(values: I64, field: int, out: U8, pos: int) -> int:
    """Field ``field`` as packed zigzag deltas (sint64)."""
    body = np.empty(10 * len(values) + 1, dtype=np.uint8)
    n = 0
    prev = 0
    for i in range(len(values)):
        n = _put_varint(body, n, _zz(values[i] - prev))
        prev = values[i]
    pos = _put_varint(out, pos, (field << 3) | 2)
    pos = _put_varint(out, pos, n)
    out[pos : pos + n] = body[:n]
    return pos + n


@numba.njit(cache=True, nogil=True)
def _dense_group(ids: I64, lat: I64, lon: I64) -> U8:
    out = np.empty(40 * len(ids) + 64, dtype=np.uint8)
    dense = np.empty(40 * len(ids) + 64, dtype=np.uint8)
    n = _packed_deltas(ids, 1, dense, 0)
    n = _packed_deltas(lat, 8, dense, n)
    n = _packed_deltas(lon, 9, dense, n)
    pos = _put_varint(out, 0, (2 << 3) | 2)
    pos = _put_varint(out, pos, n)
    out[pos : pos + n] = dense[:n]
    return out[: pos + n]


@numba.njit(cache=True, nogil=True)
def _way_group(way_id: I64, indptr: I64, refs: I64, tag_ptr: I64, tag_key: I64, tag_val: I64) -> U8:
    size = 64
    for w in range(len(way_id)):
        size += 32 + 10 * (indptr[w + 1] - indptr[w]) + 10 * (tag_ptr[w + 1] - tag_ptr[w])
    out = np.empty(size, dtype=np.uint8)
    msg = np.empty(size, dtype=np.uint8)
    pos = 0
    for w in range(len(way_id)):
        n = _put_varint(msg, 0, (1 << 3) | 0)
        n = _put_varint(msg, n, way_id[w])
        t0, t1 = tag_ptr[w], tag_ptr[w + 1]
        if t1 > t0:
            for field, src in ((2, tag_key), (3, tag_val)):
                body = np.empty(10 * (t1 - t0), dtype=np.uint8)
                m = 0
                for t in range(t0, t1):
                    m = _put_varint(body, m, src[t])
                n = _put_varint(msg, n, (field << 3) | 2)
                n = _put_varint(msg, n, m)
                msg[n : n + m] = body[:m]
                n += m
        n = _packed_deltas(refs[indptr[w] : indptr[w + 1]], 8, msg, n)
        pos = _put_varint(out, pos, (3 << 3) | 2)
        pos = _put_varint(out, pos, n)
        out[pos : pos + n] = msg[:n]
        pos += n
    return out[:pos]


def _field_bytes(field: int, payload: bytes) -> bytes:
    return _varint_bytes((field << 3) | 2) + _varint_bytes(len(payload)) + payload


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _write_blob(fh: BinaryIO, kind: str, block: bytes) -> None:
    blob = _varint_bytes((2 << 3) | 0) + _varint_bytes(len(block)) + _field_bytes(3, zlib.compress(block, 1))
    header = _field_bytes(1, kind.encode("ascii")) + _varint_bytes((3 << 3) | 0) + _varint_bytes(len(blob))
    fh.write(struct.pack(">I", len(header)) + header + blob)


def write_pbf(
    path: str | Path,
    *,
    node_id: I64,
    node_lon: npt.NDArray[np.float64],
    node_lat: npt.NDArray[np.float64],
    way_indptr: I64,
    way_node_id: I64,
    way_tag_set: npt.NDArray[np.integer],
    tag_sets: list[dict[str, str]],
) -> None:
    """Write nodes and ways as an OSM PBF file (DenseNodes, zlib; coordinates to 1e-7 degrees)."""
    strings = [""]
    index: dict[str, int] = {"": 0}
    set_ptr = [0]
    set_key: list[int] = []
    set_val: list[int] = []
    for tags in tag_sets:
        for k, v in tags.items():
            set_key.append(index.setdefault(k, len(index)))
            set_val.append(index.setdefault(v, len(index)))
        set_ptr.append(len(set_key))
    strings = list(index)
    table = _field_bytes(1, b"".join(_field_bytes(1, s.encode("utf-8")) for s in strings))
    sp = np.asarray(set_ptr, dtype=np.int64)
    sk = np.asarray(set_key, dtype=np.int64)
    sv = np.asarray(set_val, dtype=np.int64)
    order = np.argsort(node_id, kind="stable")
    ids = node_id[order].astype(np.int64)
    lat = np.round(node_lat[order] * 1e7).astype(np.int64)
    lon = np.round(node_lon[order] * 1e7).astype(np.int64)
    header = (
        _field_bytes(4, b"OsmSchema-V0.6") + _field_bytes(4, b"DenseNodes") + _field_bytes(16, b"carecircle")
    )
    with Path(path).open("wb") as fh:
        _write_blob(fh, "OSMHeader", header)
        for s in range(0, len(ids), BLOCK_ENTITIES):
            group = _dense_group(
                ids[s : s + BLOCK_ENTITIES], lat[s : s + BLOCK_ENTITIES], lon[s : s + BLOCK_ENTITIES]
            )
            _write_blob(fh, "OSMData", _field_bytes(1, b"") + _field_bytes(2, group.tobytes()))
        n_ways = len(way_indptr) - 1
        ts = np.asarray(way_tag_set, dtype=np.int64)
        for s in range(0, n_ways, BLOCK_ENTITIES):
            e = min(s + BLOCK_ENTITIES, n_ways)
            sets = ts[s:e]
            counts = sp[sets + 1] - sp[sets]
            tag_ptr = np.zeros(e - s + 1, dtype=np.int64)
            np.cumsum(counts, out=tag_ptr[1:])
            at = np.repeat(sp[sets] - tag_ptr[:-1], counts) + np.arange(int(tag_ptr[-1]))
            group = _way_group(
                np.arange(s + 1, e + 1, dtype=np.int64),
                way_indptr[s : e + 1] - way_indptr[s],
                way_node_id[way_indptr[s] : way_indptr[e]].astype(np.int64),
                tag_ptr,
                sk[at],
                sv[at],
            )
            _write_blob(fh, "OSMData", table + _field_bytes(2, group.tobytes()))


def warm() -> None:
    """Compile the encoder and decoder now (or load them from numba's cache), e.g. after installing."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="carecircle-warm-") as tmp:
        path = Path(tmp) / "warm.osm.pbf"
        write_pbf(
            path,
            node_id=np.array([1, 2], dtype=np.int64),
            node_lon=np.array([109.9, 109.901]),
            node_lat=np.array([39.8, 39.8]),
            way_indptr=np.array([0, 2], dtype=np.int64),
            way_node_id=np.array([1, 2], dtype=np.int64),
            way_tag_set=np.array([0], dtype=np.int32),
            tag_sets=[{"highway": "residential"}],
        )
        read_pbf(path)
