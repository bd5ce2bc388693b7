"""The parts of an .xlsx package, read from the archived bytes and written back deterministically.

A part that is not edited is copied as its compressed bytes, untouched (same method, same CRC):
byte for byte what was sent, and no time spent inflating and deflating it again. Edited and new
parts are deflated at a fixed level. Every entry gets the same fixed timestamp and permissions, in
the original's order with new parts at the end, so the same inputs always give the same bytes.

The writer is a plain zip (no zip64): the parser's limits (200 MB inflated, 1000 parts) keep every
size and offset far below the 4 GB where zip64 would start.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache

from pipelines.reproducible import ZIP_TIMESTAMP

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_UTF8_NAME = 0x0800
_VERSION = 20  # 2.0: deflate
_MADE_BY = (3 << 8) | _VERSION  # Unix, so the permissions below mean what they say
_PERMISSIONS = 0o600 << 16
_ZIP32_LIMIT = 0xFFFFFFFF
_ZIPFILE_READS = 63  # zipfile.MAX_EXTRACT_VERSION: it refuses entries that need a later version
_DEFLATE_LEVEL = 6
_SMALL_PART = 64 * 1024  # bytes: parts up to this size are deflated through `_deflate_small`


class PackageTooLarge(Exception):
    """A part or the whole package would need zip64; never so for a return within the limits."""


@dataclass(frozen=True)
class _Entry:
    name: str
    method: int
    crc: int
    size: int
    payload: bytes  # compressed as `method` says


class Package:
    """The parts of one .xlsx, by name; names are matched in any letter case, as calamine does."""

    def __init__(self, data: bytes):
        self._data = data
        self.infos = _plain_directory(data) or zipfile.ZipFile(io.BytesIO(data)).infolist()
        self._by_lower = {info.filename.lower(): info for info in self.infos}

    def find(self, name: str) -> str | None:
        """The part's name as stored, or None when the package has no such part."""
        info = self._by_lower.get(name.lower())
        return info.filename if info else None

    def read(self, name: str) -> bytes:
        """The part inflated, its CRC checked (as zipfile would, without its per-part set-up)."""
        info = self._by_lower[name.lower()]
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            data = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        elif info.compress_type == zipfile.ZIP_STORED:
            data = raw
        else:
            raise zipfile.BadZipFile(f"part {info.filename!r} uses compression method {info.compress_type}")
        if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            raise zipfile.BadZipFile(f"part {info.filename!r} does not match its size or CRC")
        return data

    def names(self) -> list[str]:
        return [info.filename for info in self.infos]

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        """The part's bytes as compressed in the file, from its local header on."""
        header = _LOCAL_HEADER.unpack_from(self._data, info.header_offset)
        if header[0] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename!r}")
        name_length, extra_length = header[9], header[10]
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        return self._data[start : start + info.compress_size]

    def write(self, replaced: dict[str, bytes], added: dict[str, bytes]) -> bytes:
        """The package with `replaced` parts (by stored name) edited and `added` parts appended."""
        entries = []
        for info in self.infos:
            if info.filename in replaced:
                entries.append(_deflated(info.filename, replaced[info.filename]))
            else:
                raw = self._raw(info)
                entries.append(_Entry(info.filename, info.compress_type, info.CRC, info.file_size, raw))
        entries += [_deflated(name, data) for name, data in added.items()]
        return _zip(entries)


def _plain_directory(data: bytes) -> list[zipfile.ZipInfo] | None:
    """The entries of a zip in the plain layout every spreadsheet writer uses (no archive comment,
    no zip64, nothing before the first entry, no extra fields, versions zipfile reads), read as
    `zipfile.ZipFile(...).infolist()` reads them but without its per-archive set-up; None for any
    other layout, which is left to zipfile itself (and its errors)."""
    end = len(data) - _END_RECORD.size
    if end < 0 or data[end : end + 4] != b"PK\x05\x06" or data[-2:] != b"\x00\x00":
        return None
    if end >= 20 and data[end - 20 : end - 16] == b"PK\x06\x07":  # a zip64 end locator
        return None
    _sig, _disk, _start_disk, _here, _total, size, offset, _comment = _END_RECORD.unpack_from(data, end)
    if offset + size != end:  # bytes before the archive, or a directory that is not where it says
        return None
    infos, position = [], offset
    while position < end:
        if position + _CENTRAL_HEADER.size > end:
            return None
        fields = _CENTRAL_HEADER.unpack_from(data, position)
        if fields[0] != b"PK\x01\x02" or fields[11] or fields[2] & 0xFF > _ZIPFILE_READS:  # [11]: extras
            return None
        name_start = position + _CENTRAL_HEADER.size
        raw_name = data[name_start : name_start + fields[10]]
        if len(raw_name) != fields[10] or b"\x00" in raw_name:
            return None
        try:
            name = raw_name.decode("utf-8" if fields[3] & _UTF8_NAME else "cp437")
        except UnicodeDecodeError:
            return None
        info = zipfile.ZipInfo(name)
        info.flag_bits, info.compress_type, info.CRC = fields[3], fields[4], fields[7]
        info.compress_size, info.file_size, info.header_offset = fields[8], fields[9], fields[16]
        infos.append(info)
        position = name_start + fields[10] + fields[11] + fields[12]
    return infos if position == end else None


def _deflated(name: str, data: bytes) -> _Entry:
    payload = _deflate_small(data) if len(data) <= _SMALL_PART else _deflate(data)
    return _Entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), payload)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


# A small edited part (workbook, styles, content types, relationships) often comes out the same,
# byte for byte, for every return made from one template; a compressor costs ~50 us to set up
# whatever the size of what it compresses, so those are deflated once.
_deflate_small = lru_cache(maxsize=64)(_deflate)


def _dos_time() -> tuple[int, int]:
    year, month, day, hour, minute, second = ZIP_TIMESTAMP
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _zip(entries: list[_Entry]) -> bytes:
    out = io.BytesIO()
    time, date = _dos_time()
    central = []
    for entry in entries:
        name = entry.name.encode("utf-8")
        flags = 0 if entry.name.isascii() else _UTF8_NAME
        offset = out.tell()
        if max(entry.size, len(entry.payload), offset) >= _ZIP32_LIMIT:
            raise PackageTooLarge(entry.name)
        sizes = (entry.crc, len(entry.payload), entry.size)
        out.write(
            _LOCAL_HEADER.pack(b"PK\x03\x04", _VERSION, flags, entry.method, time, date, *sizes, len(name), 0)
        )
        out.write(name)
        out.write(entry.payload)
        central.append(
            _CENTRAL_HEADER.pack(
                b"PK\x01\x02",
                _MADE_BY,
                _VERSION,
                flags,
                entry.method,
                time,
                date,
                *sizes,
                len(name),
                0,
                0,
                0,
                0,
                _PERMISSIONS,
                offset,
            )  # fmt: skip
            + name
        )
    directory_start = out.tell()
    for record in central:
        out.write(record)
    directory_size = out.tell() - directory_start
    count = len(entries)
    out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, directory_size, directory_start, 0))
    return out.getvalue()
