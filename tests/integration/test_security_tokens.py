"""No token where it does not belong. REAL tokens minted by the local Turso on real sqld (a
database token, a group token, a read-only token and the local API token) go through crash files,
logs of failing calls, exceptions, the CLI, the token ledger and .env; the committed SVGs are
scanned for anything token-shaped.

A secret counts as leaked when the whole token, or any 16 characters of its secret part (the
signature of a JWT, everything after the first 4 characters otherwise), can be read. The masked
form ``eyJh…(N chars)`` (``tursotui.support.redact.mask``) shows the first 4 characters only.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import importlib
import json
import logging
import re
import traceback
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tursotui.entry import main
from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HranaError
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import PlatformError
from tursotui.support.crash import write_crash_file
from tursotui.support.redact import mask

ROOT = Path(__file__).resolve().parents[2]
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def _secret_part(token: str) -> str:
    return token.rsplit(".", 1)[1] if token.count(".") == 2 else token[4:]


def leaks(text: str, tokens: Iterable[str]) -> list[str]:
    """What of ``tokens`` can be read in ``text`` (empty: nothing)."""
    found = []
    for token in tokens:
        part = _secret_part(token)
        assert len(part) >= 16, "a token this short is not a real one"
        if token in text or any(part[i : i + 16] in text for i in range(len(part) - 15)):
            found.append(mask(token))
    return found


@dataclass
class Minted:
    url: str
    database: str
    group: str
    read_only: str
    api: str
    other_url: str

    @property
    def jwts(self) -> list[str]:
        return [self.database, self.group, self.read_only]

    @property
    def all(self) -> list[str]:
        return [*self.jwts, self.api]


@pytest.fixture
async def minted(local_turso: LocalTurso) -> AsyncIterator[Minted]:
    platform = local_turso.platform_client(max_retries=0)
    try:
        await platform.create_group("default", "sjc")
        app = await platform.create_database("app", "default")
        other = await platform.create_database("other", "default")
        tokens = Minted(
            url=app.url,
            database=(await platform.create_database_token("app")).jwt,
            group=(await platform.create_group_token("default")).jwt,
            read_only=(await platform.create_database_token("app", authorization="read-only")).jwt,
            api=local_turso.api_token,
            other_url=other.url,
        )
    finally:
        await platform.aclose()
    async with HranaClient(tokens.url, tokens.database) as sql:  # they are real: sqld takes them
        await sql.execute("create table t(x)")
    assert all(JWT_SHAPE.fullmatch(t) for t in tokens.jwts)
    yield tokens


def _chain(error: BaseException) -> str:
    """Everything an error can show: str, repr, and the formatted traceback with its causes."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


# -- crash files -----------------------------------------------------------------------------------


def _raise_with_tokens(tokens: Minted) -> BaseException:
    def call(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        raise RuntimeError(f"request failed: {headers} (group token {tokens.group})")

    try:
        try:
            raise ValueError(f"read-only {tokens.read_only}, API {tokens.api}")
        except ValueError:
            call(tokens.database)
    except RuntimeError as exc:
        return exc
    raise AssertionError("unreachable")


async def test_crash_files_hold_no_token(minted: Minted, tmp_path: Path) -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    error = _raise_with_tokens(minted)
    assert leaks(_chain(error), minted.all) == [mask(t) for t in minted.all]  # they are in there
    # What the console passes (its backend's secrets: the API token), as in tursotui.ui.app.
    path = write_crash_file(tmp_path / "known", error, [minted.api], now)
    text = path.read_text()
    assert "RuntimeError: request failed" in text and "ValueError" in text
    assert leaks(text, minted.all) == []
    assert mask(minted.group) in text and mask(minted.api) in text  # recognisable, not usable
    assert path.stat().st_mode & 0o777 == 0o600
    # Tokens minted during the session are not in that list: caught by their JWT shape.
    path = write_crash_file(tmp_path / "unknown", error, [], now)
    assert leaks(path.read_text(), minted.jwts) == []


# -- logs and exceptions of failing calls ----------------------------------------------------------


async def test_failing_calls_with_real_tokens_log_and_raise_no_token(
    minted: Minted, local_turso: LocalTurso, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: tursotui, httpx, httpcore, the local Turso
    errors: list[BaseException] = []

    # Platform API calls with the wrong kind of token, a missing database, a dead server.
    for token in minted.jwts:
        async with PlatformClient(
            token,
            organization=local_turso.organization,
            base_url=IN_PROCESS_BASE_URL,
            transport=local_turso.transport(),
            max_retries=0,
        ) as api:
            with pytest.raises(PlatformError) as info:
                await api.list_databases()
            assert info.value.status == 401
            errors.append(info.value)
    async with local_turso.platform_client(max_retries=0) as api:
        with pytest.raises(PlatformError) as info:
            await api.get_database("missing")
        errors.append(info.value)
    async with PlatformClient(
        minted.api,
        organization="local",
        base_url=f"http://127.0.0.1:{free_port()}",
        max_retries=1,
        backoff_base=0.01,
    ) as api:
        with pytest.raises(PlatformError) as info:
            await api.list_databases()  # connection refused, retried once (logged)
        errors.append(info.value)
        assert leaks(repr(api), minted.all) == []

    # Hrana calls: a token of another database, a non-JWT, a read-only token writing, a token in
    # the URL (authToken=) of a server that is not there.
    attempts: list[tuple[str, str | None, str]] = [
        (minted.other_url, minted.database, "select 1"),
        (minted.url, minted.api, "select 1"),
        (minted.url, minted.read_only, "insert into t values (1)"),
        (f"http://127.0.0.1:{free_port()}?authToken={minted.group}", None, "select 1"),
    ]
    for url, credential, sql_text in attempts:
        async with HranaClient(url, credential) as sql:
            assert leaks(repr(sql), minted.all) == []
            with pytest.raises(HranaError) as hrana:
                await sql.execute(sql_text)
            errors.append(hrana.value)

    assert [type(e).__name__ for e in errors] == [
        "Unauthorized",
        "Unauthorized",
        "Unauthorized",
        "NotFound",
        "ConnectionFailed",
        "HttpError",  # sqld answers 404 "Namespace `other` doesn't exist" to another's token
        "AuthError",
        "PermissionDeniedError",
        "HranaConnectionError",
    ]
    for error in errors:
        assert leaks(_chain(error), minted.all) == [], repr(error)
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert leaks(caplog.text, minted.all) == []
    assert not JWT_SHAPE.search(caplog.text)  # nor any other token (e.g. internal ones)


# -- the CLI, the ledger and .env ------------------------------------------------------------------


@dataclass
class Cli:
    config: Path
    data: Path

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--config", str(self.config), "--data-dir", str(self.data), *args])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err


async def _seed(directory: Path, binary: Path) -> None:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "sjc")
        await platform.create_database("app", "default")
        await platform.aclose()


def test_cli_shows_a_new_token_once_and_masks_it_everywhere_else(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(tmp_path / "config.toml", tmp_path / "data")
    cli.config.write_text('[turso]\ndatabase_name = "app"\n\n[tursotui]\ntarget = "local"\n')
    asyncio.run(_seed(cli.data / "local-turso", sqld_binary))
    api = (cli.data / "local-turso" / "api-token").read_text().strip()

    # Human output: the token alone on stdout (TOKEN=$(tursotui token create)), once.
    code, out, err = cli.run(capsys, "token", "create", "app", "--expiration", "7d")
    database = out.strip()
    assert code == 0 and out == database + "\n" and JWT_SHAPE.fullmatch(database)
    assert "Shown once" in err and leaks(err, [database, api]) == []

    # --json: the token in its "token" field, nowhere else; nothing on stderr.
    code, out, err = cli.run(capsys, "token", "create", "--group", "default", "--json")
    body = json.loads(out)
    group = body.pop("token")
    assert code == 0 and JWT_SHAPE.fullmatch(group)
    assert leaks(json.dumps(body), [group, database, api]) == []
    assert leaks(err, [group, database, api]) == []

    # --write-env: into .env (0600) by design, and still printed once.
    code, out, err = cli.run(
        capsys, "token", "create", "app", "--read-only", "--write-env", "--yes"
    )
    read_only = out.strip()
    assert code == 0 and out == read_only + "\n"
    env = cli.config.with_name(".env")
    assert f"TURSO_AUTH_TOKEN={read_only}\n" in env.read_text()
    assert env.stat().st_mode & 0o777 == 0o600
    assert leaks(err, [read_only, database, group, api]) == []
    tokens = [database, group, read_only, api]

    # Everywhere else the tokens are masked or absent (config check reads the one in .env).
    for args in (
        ("token", "list"),
        ("token", "list", "--json"),
        ("config", "check"),
        ("db", "list", "--json"),
        ("db", "show", "app"),
    ):
        code, out, err = cli.run(capsys, *args)
        assert code == 0, (args, err)
        assert leaks(out + err, tokens) == [], args
    _, out, _ = cli.run(capsys, "config", "check")
    assert mask(read_only) in out

    # The ledger: metadata and fingerprints only.
    ledger = (cli.data / "token-ledger.json").read_text()
    assert len(json.loads(ledger)["tokens"]) == 3
    assert leaks(ledger, tokens) == [] and not JWT_SHAPE.search(ledger)


# -- screenshots and snapshots ---------------------------------------------------------------------


def _svg_text(path: Path) -> str:
    """The text a screenshot shows, one terminal row per line."""
    svg = path.read_text(encoding="utf-8")
    rows = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    return html.unescape("\n".join(rows)).replace("\xa0", " ")


def test_screenshots_and_snapshots_show_no_token() -> None:
    fake_org = importlib.import_module("fixtures.fake_org")  # the UI tests' organization
    svgs = sorted([*ROOT.glob("screenshots/*.svg"), *ROOT.glob("tests/ui/__snapshots__/*/*.svg")])
    assert len(svgs) >= 40
    fake_signatures = [hashlib.sha256(f"sig-{n}".encode()).hexdigest()[:43] for n in range(1, 50)]
    shown_once = []
    for path in svgs:
        text = _svg_text(path)
        squeezed = re.sub(r"[^A-Za-z0-9_.-]", "", text)  # a wrapped token becomes one string
        assert leaks(squeezed, [fake_org.TOKEN]) == [], path.name  # the fake API token
        assert not re.search(r"tlocal_[A-Za-z0-9_-]{8}", squeezed), path.name  # a local API token
        assert not re.search(r"(?i)bearer\s+[A-Za-z0-9_.-]{12}", text), path.name
        if re.search(r"eyJ[A-Za-z0-9_-]{8}", text):  # more of a JWT than its mask shows
            shown_once.append(path.name)
            # The "New token — shown only now" screen: the token the user asked for, once, and
            # here a fake one (FakeOrg's), never a real secret.
            assert "shown only now" in text, path.name
            assert any(sig in squeezed for sig in fake_signatures), path.name
    # The scan finds the one screen that shows a token on purpose (so it would find others).
    assert {"test_token_created[120x36].svg", "test_token_created[80x24].svg"} <= set(shown_once)
