"""``db list`` streaming against a scripted Platform API (httpx.MockTransport, no sqld): a page is printed
before the next is asked for, a page that fails leaves the lines printed and names itself (exit 1), a sort
reads the pages twice and holds (key, name) pairs, --limit stops asking for pages."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest

from tursotui.cli import db_list
from tursotui.cli.context import Context
from tursotui.config import Settings
from tursotui.entry import main
from tursotui.platform import PlatformClient
from tursotui.support.redact import mask

STRANGER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.dW5rbm93bi1zaWduYXR1cmU"
NAMES = [f"tenant-{i:02d}" for i in range(12)]
"""The org: 12 databases, groups alternating, size growing with the number (tenant-11 the largest)."""


def database(name: str) -> dict[str, Any]:
    index = int(name.rsplit("-", 1)[1])
    return {
        "Name": name,
        "DbId": f"uuid-{name}",
        "Hostname": f"{name}-acme.aws-us-east-1.turso.io",
        "primaryRegion": "aws-us-east-1" if index % 3 else "aws-eu-west-1",
        "group": "even" if index % 2 == 0 else "odd",
        "schema": STRANGER if index == 3 else "",  # a server echoing a token: never printed
    }


class Org:
    """A scripted ``GET …/databases`` paging by ``limit``/``cursor`` (cursor = index), and ``GET …/usage``."""

    def __init__(self, fail_page: int | None = None) -> None:
        self.fail_page = fail_page
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.before: Callable[[int], None] = lambda page: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        self.requests.append((request.url.path, query))
        if request.url.path.endswith("/usage"):
            rows = [
                {"uuid": f"uuid-{n}", "instances": [], "total": _usage(i)}
                for i, n in enumerate(NAMES)
                if i != 4  # tenant-04 has no usage row: it sorts last
            ]
            return httpx.Response(
                200, json={"organization": {"uuid": "o", "usage": {}, "databases": rows}}
            )
        start = int(query.get("cursor", "0"))
        limit = int(query["limit"])
        page = start // limit + 1
        self.before(page)
        if page == self.fail_page:
            return httpx.Response(503, json={"error": "the list is resting"})
        chosen = NAMES[start : start + limit]
        nxt = start + limit if start + limit < len(NAMES) else None
        return httpx.Response(
            200,
            json={
                "databases": [database(n) for n in chosen],
                "pagination": {"next": None if nxt is None else str(nxt)},
            },
        )


def _usage(index: int) -> dict[str, int]:
    return {
        "rows_read": 100 - index,
        "rows_written": index % 5,
        "storage_bytes": 4096 * (index + 1),
    }


def args(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser()
    db_list.add_arguments(parser.add_subparsers(), common)
    return parser.parse_args(["list", *argv])


def listed(org: Org, *argv: str, out: io.StringIO | None = None) -> tuple[int, str, str, Context]:
    out, err = out or io.StringIO(), io.StringIO()
    ctx = Context(args(*argv), cast(Settings, None), stdout=out, stderr=err)
    client = PlatformClient(
        "plain-api-token-0123456789",
        organization="acme",
        base_url="https://api.turso.tech",
        transport=httpx.MockTransport(org),
        max_retries=0,
    )

    async def go() -> int:
        async with client:
            return await db_list.list_databases(ctx, client, "cloud")

    code = asyncio.run(go())
    return code, out.getvalue(), err.getvalue(), ctx


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_json_lines_one_database_per_line_then_the_summary() -> None:
    org = Org()
    code, out, err, _ = listed(org, "--json", "--page-size", "5")
    assert code == 0 and err == ""
    *rows, last = lines(out)
    assert [r["name"] for r in rows] == NAMES
    assert (
        rows[0]["url"] == "libsql://tenant-00-acme.aws-us-east-1.turso.io"
        and "usage" not in rows[0]
    )
    assert STRANGER not in out and rows[3]["schema"] == mask(STRANGER)
    assert last == {
        "summary": {
            "organization": "acme",
            "target": "cloud",
            "listed": 12,
            "matched": 12,
            "shown": 12,
            "pages": 3,
            "group": None,
            "filter": None,
            "sort": None,
            "limit": None,
            "vanished": 0,
            "read_all": True,
        }
    }
    assert [q.get("limit") for _, q in org.requests] == ["5", "5", "5"]


def test_each_page_is_printed_before_the_next_is_asked_for() -> None:
    org, out = Org(), io.StringIO()
    printed: dict[int, list[str]] = {}
    org.before = lambda page: printed.__setitem__(page, [r["name"] for r in lines(out.getvalue())])
    code, _, _, _ = listed(org, "--json", "--page-size", "5", out=out)
    assert code == 0
    assert printed == {1: [], 2: NAMES[:5], 3: NAMES[:10]}


def test_a_failing_page_leaves_the_lines_printed_and_names_the_page() -> None:
    code, out, err, _ = listed(Org(fail_page=2), "--json", "--page-size", "5")
    assert code == 1
    *rows, error = lines(out)
    assert [r["name"] for r in rows] == NAMES[:5]
    assert error["exit_code"] == 1 and error["page"] == 2 and "summary" not in error
    assert "page 2 of the database list failed, after 5 databases were read" in error["error"]
    assert err.count("\n") == 1 and err.startswith("tursotui: 503")

    code, out, err, _ = listed(Org(fail_page=3), "--page-size", "5")
    assert code == 1
    table = out.splitlines()
    assert table[0].split() == ["NAME", "GROUP", "PRIMARY", "URL", "FLAGS"]
    assert [row.split()[0] for row in table[1:]] == NAMES[:10]
    assert "page 3 of the database list failed, after 10 databases were read" in err


def test_limit_stops_asking_for_pages() -> None:
    org = Org()
    code, out, _, _ = listed(org, "--json", "--page-size", "5", "--limit", "7")
    *rows, last = lines(out)
    assert code == 0 and [r["name"] for r in rows] == NAMES[:7]
    assert last["summary"]["read_all"] is False and last["summary"]["pages"] == 2
    assert len(org.requests) == 2


def test_a_usage_sort_reads_the_usage_once_and_the_pages_twice() -> None:
    org = Org()
    code, out, _, _ = listed(org, "--json", "--page-size", "5", "--sort", "size", "--limit", "3")
    *rows, last = lines(out)
    assert code == 0
    assert [r["name"] for r in rows] == ["tenant-11", "tenant-10", "tenant-09"]
    assert rows[0]["usage"] == {"rows_read": 89, "rows_written": 1, "storage_bytes": 4096 * 12}
    assert last["summary"]["matched"] == 12 and last["summary"]["shown"] == 3
    paths = [p.rsplit("/", 1)[1] for p, _ in org.requests]
    assert paths.count("usage") == 1 and paths.count("databases") == 6


def test_filter_and_sort_with_an_unknown_usage_last_in_the_table() -> None:
    code, out, _, _ = listed(
        org := Org(), "--page-size", "4", "--sort", "rows-read", "--filter", "group:=even"
    )
    assert code == 0, out
    table = out.splitlines()
    assert table[0].split()[:3] == ["NAME", "ROWS", "READ"]
    names = [row.split()[0] for row in table[1:-1]]
    assert names == ["tenant-00", "tenant-02", "tenant-06", "tenant-08", "tenant-10", "tenant-04"]
    assert table[1].split()[1] == "100" and table[-2].split()[1] == "-"
    assert table[-1] == "6 of 12 databases · 6 match 'group:=even' · sorted by rows-read · 3 pages"
    assert len(org.requests) == 1 + 3 + 3


def test_bad_filter_and_limit_are_refused_naming_what_is_wrong(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tursotui]\ntarget = "local"\n')
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "db", "list"]
    assert main([*base, "--filter", "grop:prod"]) == 2
    assert "unknown field 'grop'" in capsys.readouterr().err
    for flag, value, said in (
        ("--limit", "0", "--limit 0: must be at least 1"),
        ("--page-size", "5000", "--page-size 5000: must be between 1 and 1000"),
        ("--sort", "speed", "invalid choice: 'speed'"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([*base, flag, value])
        assert stopped.value.code == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "data" / "local-turso").exists()  # nothing was started
