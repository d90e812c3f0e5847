"""Byte formats of embedded-replica sync: sqld's replication frames in, sync-v2 WAL frames out.

* Protobuf, hand-encoded: only the few messages of ``wal_log.ReplicationLog`` (varints, length-delimited
  fields; unknown fields skipped).
* gRPC-web framing: ``flag | u32be length | payload``; flag 0x80 carries the trailers as HTTP header lines.
* sqld's frame (``libsql-replication/src/frame.rs``): a little-endian header ``frame_no u64, checksum u64,
  page_no u32, size_after u32`` and one 4096-byte page.
* A sync-v2 frame (what ``GET /sync`` answers): a big-endian header ``page_no u32, size_after u32`` and 16
  zero bytes (salts and checksums the client ignores on pull), then the page: 4120 bytes in all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PAGE_SIZE = 4096
"""sqld's page size, and the one the sync client takes for granted."""
V2_HEADER = 24
V2_FRAME = V2_HEADER + PAGE_SIZE
SQLD_HEADER = 24
_SQLD = struct.Struct("<QQII")
_V2 = struct.Struct(">II16x")


class CodecError(ValueError):
    """Bytes that are not what the format says (a message names what is wrong)."""


# --- protobuf -------------------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    if value < 0:
        raise CodecError(f"a varint cannot be negative: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise CodecError("protobuf: a varint runs past the end of the message")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise CodecError("protobuf: a varint longer than 10 bytes")


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of every field of a message: ints for varints, bytes for the rest."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise CodecError(f"protobuf: field {number} runs past the end of the message")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire == 1:
            out.append((number, data[pos : pos + 8]))
            pos += 8
        elif wire == 5:
            out.append((number, data[pos : pos + 4]))
            pos += 4
        else:
            raise CodecError(f"protobuf: wire type {wire} of field {number} is not supported")
    return out


def hello_request() -> bytes:
    """``HelloRequest{handshake_version = 1}``."""
    return b"\x08\x01"


def log_offset(next_offset: int) -> bytes:
    """``LogOffset{next_offset}`` (the WAL flavor left out: sqld's default, plain SQLite frames)."""
    return b"\x08" + varint(next_offset)


@dataclass(frozen=True)
class Hello:
    log_id: str
    session_token: bytes
    current_replication_index: int | None


def parse_hello(message: bytes) -> Hello:
    log_id, token, index = "", b"", None
    for number, value in fields(message):
        if number == 3 and isinstance(value, bytes):
            log_id = value.decode("utf-8", errors="replace")
        elif number == 4 and isinstance(value, bytes):
            token = value
        elif number == 5 and isinstance(value, int):
            index = value
    if not log_id or not token:
        raise CodecError("HelloResponse without a log_id or a session token")
    return Hello(log_id, token, index)


def frame_data(message: bytes) -> bytes:
    """The ``data`` of one ``Frame`` message."""
    for number, value in fields(message):
        if number == 1 and isinstance(value, bytes):
            return value
    raise CodecError("a Frame message without data")


def frames_data(message: bytes) -> list[bytes]:
    """The ``data`` of every frame of a ``Frames`` message."""
    return [frame_data(v) for n, v in fields(message) if n == 1 and isinstance(v, bytes)]


# --- gRPC-web ---------------------------------------------------------------------------------------------


def grpc_web_message(payload: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", len(payload)) + payload


def split_grpc_web(body: bytes) -> tuple[list[bytes], dict[str, str]]:
    """The messages of a gRPC-web response body and its trailers (lowercase names)."""
    messages: list[bytes] = []
    trailers: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        if pos + 5 > len(body):
            raise CodecError("gRPC-web: a message header cut short")
        flag = body[pos]
        (length,) = struct.unpack_from(">I", body, pos + 1)
        start, pos = pos + 5, pos + 5 + length
        if pos > len(body):
            raise CodecError("gRPC-web: a message cut short")
        if flag & 0x01:
            raise CodecError("gRPC-web: a compressed message (none was asked for)")
        if flag & 0x80:
            for line in body[start:pos].decode("latin-1").split("\r\n"):
                name, sep, value = line.partition(":")
                if sep:
                    trailers[name.strip().lower()] = value.strip()
        else:
            messages.append(body[start:pos])
    return messages, trailers


# --- frames -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqldFrame:
    frame_no: int
    page_no: int
    size_after: int
    page: bytes


def parse_sqld_frame(data: bytes) -> SqldFrame:
    if len(data) != SQLD_HEADER + PAGE_SIZE:
        raise CodecError(
            f"a replication frame of {len(data)} bytes (expected {SQLD_HEADER + PAGE_SIZE}: "
            f"a {SQLD_HEADER}-byte header and a {PAGE_SIZE}-byte page)"
        )
    frame_no, _checksum, page_no, size_after = _SQLD.unpack_from(data)
    if page_no < 1:
        raise CodecError(f"replication frame {frame_no} names page {page_no}")
    return SqldFrame(frame_no, page_no, size_after, data[SQLD_HEADER:])


def v2_frame(page_no: int, size_after: int, page: bytes) -> bytes:
    if len(page) != PAGE_SIZE:
        raise CodecError(f"a page of {len(page)} bytes (expected {PAGE_SIZE})")
    return _V2.pack(page_no, size_after) + page


def parse_v2_frame(frame: bytes) -> tuple[int, int, bytes]:
    """(page_no, size_after, page) of one 4120-byte sync-v2 frame."""
    if len(frame) != V2_FRAME:
        raise CodecError(f"a sync frame of {len(frame)} bytes (expected {V2_FRAME})")
    page_no, size_after = _V2.unpack_from(frame)
    return page_no, size_after, frame[V2_HEADER:]


def wal_mode_page_one(page: bytes) -> bytes:
    """Page 1 with its file format versions (bytes 18-19) at 2/2 (WAL), as sqld's own file has them."""
    if len(page) < 20 or page[18:20] == b"\x02\x02":
        return page
    return page[:18] + b"\x02\x02" + page[20:]
