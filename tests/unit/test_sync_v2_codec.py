"""Sync v2's byte formats (no sqld): protobuf fields, gRPC-web framing, sqld's frames in and sync-v2 frames out."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tursotui.local.engine.gate import LEGACY_SYNC, legacy_sync_refusal, refusal
from tursotui.local.engine.syncv2 import codec, is_sync_route


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_a_varint_reads_back_as_written(value: int) -> None:
    assert codec.fields(b"\x08" + codec.varint(value)) == [(1, value)]


def test_known_encodings() -> None:
    assert codec.varint(300) == b"\xac\x02"
    assert codec.hello_request() == b"\x08\x01"
    assert codec.log_offset(0) == b"\x08\x00"
    assert codec.log_offset(1025) == b"\x08\x81\x08"
    with pytest.raises(codec.CodecError, match="negative"):
        codec.varint(-1)


def test_hello_response_fields_are_read_and_unknown_ones_skipped() -> None:
    message = (
        b"\x0a\x03gen"  # generation_id
        + b"\x10\x00"  # generation_start_index
        + b"\x1a\x04log1"  # log_id
        + b"\x22\x05token"  # session_token
        + b"\x28"
        + codec.varint(77)  # current_replication_index
        + b"\x32\x02\x08\x01"  # config (a message, skipped)
    )
    hello = codec.parse_hello(message)
    assert (hello.log_id, hello.session_token, hello.current_replication_index) == (
        "log1",
        b"token",
        77,
    )
    with pytest.raises(codec.CodecError, match="log_id or a session token"):
        codec.parse_hello(b"\x1a\x04log1")


def test_truncated_messages_are_named() -> None:
    with pytest.raises(codec.CodecError, match="runs past the end"):
        codec.fields(b"\x0a\x05ab")
    with pytest.raises(codec.CodecError, match="varint runs past"):
        codec.fields(b"\x08\x80")
    with pytest.raises(codec.CodecError, match="wire type 3"):
        codec.fields(b"\x0b")


def test_grpc_web_messages_and_trailers_are_split() -> None:
    frames = b"\x0a\x03abc\x0a\x02de"  # Frames{frames: [Frame{data}]}: here two raw Frame payloads
    trailer = b"grpc-status:0\r\ngrpc-message:fine\r\n"
    body = codec.grpc_web_message(frames) + b"\x80" + struct.pack(">I", len(trailer)) + trailer
    messages, trailers = codec.split_grpc_web(body)
    assert messages == [frames]
    assert trailers == {"grpc-status": "0", "grpc-message": "fine"}
    assert [codec.frame_data(m) for m in messages] == [b"abc"]
    with pytest.raises(codec.CodecError, match="cut short"):
        codec.split_grpc_web(body[:-3])


def test_a_sqld_frame_becomes_a_v2_frame() -> None:
    page = bytes(range(256)) * 16
    raw = struct.pack("<QQII", 41, 0xDEADBEEF, 7, 9) + page
    frame = codec.parse_sqld_frame(raw)
    assert (frame.frame_no, frame.page_no, frame.size_after, frame.page) == (41, 7, 9, page)
    v2 = codec.v2_frame(frame.page_no, frame.size_after, frame.page)
    assert len(v2) == codec.V2_FRAME == 4120
    assert v2[:24] == struct.pack(">II", 7, 9) + bytes(16)  # big-endian, salts/checksums zero
    assert codec.parse_v2_frame(v2) == (7, 9, page)
    with pytest.raises(codec.CodecError, match="4120"):
        codec.parse_sqld_frame(raw[:-1])
    with pytest.raises(codec.CodecError, match="names page 0"):
        codec.parse_sqld_frame(struct.pack("<QQII", 1, 0, 0, 1) + page)


def test_page_one_is_published_in_wal_mode() -> None:
    page = bytearray(4096)
    page[18:20] = b"\x01\x01"
    assert codec.wal_mode_page_one(bytes(page))[18:20] == b"\x02\x02"
    assert codec.wal_mode_page_one(bytes(page))[:18] == bytes(page[:18])


def test_sync_routes_and_the_legacy_refusal() -> None:
    assert is_sync_route(b"GET", b"/info")
    assert is_sync_route(b"GET", b"/export/3")
    assert is_sync_route(b"GET", b"/sync/3/1/129")
    assert is_sync_route(b"POST", b"/sync/3/1/129/baton-1")
    assert not is_sync_route(b"POST", b"/info")
    assert not is_sync_route(b"GET", b"/sync/3/1")
    assert not is_sync_route(b"GET", b"/export/x")
    answer = refusal(b"POST /wal_log.ReplicationLog/Hello HTTP/1.1\r\nhost: x\r\n\r\n")
    assert answer == legacy_sync_refusal()
    assert b"grpc-status: 12\r\n" in answer  # Unimplemented, as Turso Cloud answers it
    assert LEGACY_SYNC.replace(" ", "")[:30].encode() in answer.replace(b" ", b"")
    assert refusal(b"POST /proxy.Proxy/Execute HTTP/1.1\r\n\r\n") == legacy_sync_refusal()
    assert refusal(b"GET /sync/1/1/129 HTTP/1.1\r\n\r\n") is None  # answered by the proxy


def test_only_well_formed_sync_paths_pass_the_gate() -> None:
    for path in (b"/sync/1/1", b"/sync/a/1/2", b"/export/1/2", b"/export/", b"/sync/1/1/2/x/y"):
        answer = refusal(b"GET " + path + b" HTTP/1.1\r\n\r\n")
        assert answer is not None and answer.startswith(b"HTTP/1.1 404 "), path
    assert refusal(b"GET /export/12 HTTP/1.1\r\n\r\n") is None
    assert refusal(b"DELETE /export/12 HTTP/1.1\r\n\r\n") is not None
