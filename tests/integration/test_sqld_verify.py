"""The pinned sqld is hashed once per file, not on every start; any change to the file is hashed again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tursotui.local.engine import sqld


@pytest.fixture
def copy(tmp_path: Path, sqld_binary: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sqld, "_verified", set())  # nothing remembered from other tests
    target = tmp_path / "bin" / "sqld"
    target.parent.mkdir()
    shutil.copy2(sqld_binary, target)
    return target


def counting(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    hashed: list[Path] = []
    real = sqld.sha256_of

    def sha256_of(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(sqld, "sha256_of", sha256_of)
    return hashed


def test_a_verified_binary_is_not_hashed_again(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = counting(monkeypatch)
    sqld.verify_sqld(copy)
    sqld.verify_sqld(copy)
    assert hashed == [copy]  # the second check: remembered in this process
    monkeypatch.setattr(sqld, "_verified", set())  # a new process: the stamp beside the binary
    sqld.verify_sqld(copy)
    assert hashed == [copy]
    assert (copy.parent / "sqld.verified").exists()


def test_a_changed_binary_is_refused_despite_the_stamp(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqld.verify_sqld(copy)
    with copy.open("ab") as fh:
        fh.write(b"\0")
    monkeypatch.setattr(sqld, "_verified", set())
    with pytest.raises(sqld.SqldError, match=r"sha256 .* expected"):
        sqld.verify_sqld(copy)


def test_a_forged_stamp_does_not_pass_another_file(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqld.verify_sqld(copy)
    stamp = (copy.parent / "sqld.verified").read_text()
    other = copy.parent / "other"
    other.write_bytes(b"#!/bin/sh\n")
    (copy.parent / "other.verified").write_text(stamp)  # the stamp of another file
    monkeypatch.setattr(sqld, "_verified", set())
    with pytest.raises(sqld.SqldError):
        sqld.verify_sqld(other)


def test_an_unwritable_stamp_only_means_hashing_again(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(sqld, "atomic_write", refuse)
    sqld.verify_sqld(copy)
    assert not (copy.parent / "sqld.verified").exists()
