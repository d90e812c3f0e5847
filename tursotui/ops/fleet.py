"""A fleet of databases, headless: the rows both front ends list, the filter typed after ``/`` (or given to
``tursotui db list --filter``), the sort keys, "top N by usage", and a selection by key (no Textual).

A :class:`FleetRow` is one database with this period's usage (``None``: not known, which sorts last, never as
0). A :class:`Filter` is parsed once from the operator's text and then tested per row, so a stream of pages can
be filtered one row at a time; :class:`TopN` keeps only the best ``n`` rows of a stream (a heap: memory is
``n`` rows, whatever the fleet's size); :func:`arrange` filters, sorts and cuts a list at once.

Filter text: words separated by spaces, every word must match (AND). A bare word matches the name, the group
or the location (case-insensitive substring); ``name:W``, ``group:W`` and ``location:W`` (``loc:W``) match
that field only; ``-W`` (or ``-group:W``) excludes what matches. ``group:`` and ``location:`` with ``=``
(``group:=prod``) match the whole value exactly.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from tursotui.ops.errors import InputError
from tursotui.platform import Database, UsageCounters

FIELDS = {"name": "name", "group": "group", "location": "location", "loc": "location"}
"""Filter prefixes and the field each matches."""


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One database of the fleet, as listed: what the filter and the sort keys read."""

    name: str
    group: str = ""
    location: str = ""
    """The primary location."""
    size: int | None = None
    """Storage in bytes this period (``None``: unknown)."""
    rows_read: int | None = None
    rows_written: int | None = None
    delete_protection: bool | None = None
    archived: bool = False
    block_reads: bool = False
    block_writes: bool = False
    synced: int | None = None
    """Bytes synced this period."""
    haystack: str = field(default="", init=False, repr=False, compare=False)
    """Name, group and location lower-cased, what a bare filter word is looked for in (made once)."""

    def __post_init__(self) -> None:
        text = f"{self.name}\0{self.group}\0{self.location}".lower()
        object.__setattr__(self, "haystack", text)

    @classmethod
    def of(cls, db: Database, usage: UsageCounters | None, *, archived: bool = False) -> FleetRow:
        return cls(
            name=db.name,
            group=db.group,
            location=db.primary_region,
            size=usage.storage_bytes if usage else None,
            rows_read=usage.rows_read if usage else None,
            rows_written=usage.rows_written if usage else None,
            delete_protection=db.delete_protection,
            archived=archived or db.archived,
            block_reads=db.block_reads,
            block_writes=db.block_writes,
            synced=usage.bytes_synced if usage else None,
        )

    @property
    def usage(self) -> int | None:
        """Rows read plus rows written: what "top N by usage" ranks (``None`` when neither is known)."""
        if self.rows_read is None and self.rows_written is None:
            return None
        return (self.rows_read or 0) + (self.rows_written or 0)


def fleet_rows(
    databases: Iterable[Database],
    usage: Mapping[str, UsageCounters],
    archived: Callable[[Database], bool] | None = None,
) -> list[FleetRow]:
    """The rows of ``databases`` with their usage by name (the snapshot's ``db_usage``)."""
    return [
        FleetRow.of(db, usage.get(db.name), archived=archived(db) if archived else False)
        for db in databases
    ]


# -- filter -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    """Lower-cased."""
    fields: tuple[str, ...] = ("name", "group", "location")
    exact: bool = False
    negated: bool = False

    def matches(self, row: FleetRow) -> bool:
        if not self.exact and len(self.fields) == 3:  # a bare word: one look in the row's haystack
            return (self.text in row.haystack) != self.negated
        for name in self.fields:
            value: str = getattr(row, name).lower()
            if (value == self.text) if self.exact else (self.text in value):
                return not self.negated
        return self.negated


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: every term must match. The empty filter matches every row."""

    terms: tuple[Term, ...] = ()
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, row: FleetRow) -> bool:
        return all(term.matches(row) for term in self.terms)

    def __call__(self, rows: Iterable[FleetRow]) -> Iterator[FleetRow]:
        if not self.terms:
            yield from rows
            return
        for row in rows:
            if self.matches(row):
                yield row


def parse_filter(text: str) -> Filter:
    """``text`` as a :class:`Filter`; an unknown ``field:`` prefix or an empty value is an InputError naming it.

    A word with a colon whose prefix is not a field (``a:b``) is refused rather than searched for: a typo in
    ``grop:prod`` must not quietly match nothing."""
    terms: list[Term] = []
    for word in text.split():
        negated = word.startswith("-") and len(word) > 1
        body = word[1:] if negated else word
        if body == "-":
            raise InputError(f"filter word {word!r}: nothing to exclude after '-'")
        prefix, colon, value = body.partition(":")
        if not colon:
            terms.append(Term(body.lower(), negated=negated))
            continue
        field_name = FIELDS.get(prefix.lower())
        if field_name is None:
            raise InputError(
                f"filter word {word!r}: unknown field {prefix!r} (expected name:, group:, location: or loc:)"
            )
        exact = value.startswith("=")
        if exact:
            value = value[1:]
        if not value:
            raise InputError(f"filter word {word!r}: no value after {prefix}:")
        terms.append(Term(value.lower(), (field_name,), exact=exact, negated=negated))
    return Filter(tuple(terms), text.strip())


# -- sort ---------------------------------------------------------------------------------------------------


class SortKey(Enum):
    """What a fleet is sorted by: the name ascending, the usage figures largest first."""

    NAME = "name"
    SIZE = "size"
    ROWS_READ = "rows-read"
    ROWS_WRITTEN = "rows-written"
    USAGE = "usage"
    """Rows read + rows written ("top N by usage")."""

    @property
    def label(self) -> str:
        return {
            SortKey.NAME: "name",
            SortKey.SIZE: "size",
            SortKey.ROWS_READ: "rows read",
            SortKey.ROWS_WRITTEN: "rows written",
            SortKey.USAGE: "usage",
        }[self]

    def next(self) -> SortKey:
        """The key after this one (the console cycles through them)."""
        keys = list(SortKey)
        return keys[(keys.index(self) + 1) % len(keys)]

    def value_of(self, row: FleetRow) -> int | None:
        if self is SortKey.SIZE:
            return row.size
        if self is SortKey.ROWS_READ:
            return row.rows_read
        if self is SortKey.ROWS_WRITTEN:
            return row.rows_written
        if self is SortKey.USAGE:
            return row.usage
        return None


SORT_NAMES = tuple(key.value for key in SortKey)


def parse_sort(text: str) -> SortKey:
    """``name``, ``size``, ``rows-read``, ``rows-written`` or ``usage`` (``_`` for ``-`` is fine)."""
    wanted = text.strip().lower().replace("_", "-")
    for key in SortKey:
        if key.value == wanted:
            return key
    raise InputError(f"sort {text!r}: expected one of {', '.join(SORT_NAMES)}")


def sort_key(key: SortKey) -> Callable[[FleetRow], tuple[int, int, str]]:
    """A key for ``sorted``: ascending by name, or largest first with unknown values last; ties by name."""
    if key is SortKey.NAME:
        return lambda row: (0, 0, row.name)

    def by_value(row: FleetRow) -> tuple[int, int, str]:
        value = key.value_of(row)
        return (1, 0, row.name) if value is None else (0, -value, row.name)

    return by_value


def sort_rows(rows: Iterable[FleetRow], key: SortKey) -> list[FleetRow]:
    return sorted(rows, key=sort_key(key))


class TopN:
    """The first ``n`` rows of a stream in ``key`` order, keeping at most ``n`` rows (a heap)."""

    def __init__(self, n: int, key: SortKey) -> None:
        if n < 1:
            raise InputError(f"top {n}: the number of rows must be at least 1")
        self.n = n
        self._key = sort_key(key)
        self._heap: list[tuple[_Reversed, int, FleetRow]] = []
        self.seen = 0

    def add(self, row: FleetRow) -> None:
        self.seen += 1
        item = (
            _Reversed(self._key(row)),
            -self.seen,
            row,
        )  # a repeated name: the first one seen wins
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, item)
        elif item[0] > self._heap[0][0]:
            heapq.heapreplace(self._heap, item)

    def extend(self, rows: Iterable[FleetRow]) -> None:
        for row in rows:
            self.add(row)

    def result(self) -> list[FleetRow]:
        return [row for _, _, row in sorted(self._heap, reverse=True)]


@dataclass(frozen=True, slots=True)
class _Reversed:
    """A sort key compared backwards: the heap's smallest item is the worst row kept."""

    key: tuple[int, int, str]

    def __lt__(self, other: _Reversed) -> bool:
        return self.key > other.key

    def __gt__(self, other: _Reversed) -> bool:
        return self.key < other.key


def top_n(rows: Iterable[FleetRow], n: int, key: SortKey = SortKey.USAGE) -> list[FleetRow]:
    top = TopN(n, key)
    top.extend(rows)
    return top.result()


# -- the view -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FleetQuery:
    """What the operator asked to see: a filter, a sort key (None: as listed) and an optional cut ("top N")."""

    filter: Filter = field(default_factory=Filter)
    sort: SortKey | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise InputError(f"top {self.limit}: the number of rows must be at least 1")

    def describe(self, shown: int, matching: int, total: int) -> str:
        """``312 of 10,000 · by size · filter eu`` (``top 20 of 312 matching (10,000 in all)`` when cut)."""
        parts = [count_text(shown, matching, total, self.limit)]
        if self.sort is not None:
            parts.append(f"by {self.sort.label}")
        if self.filter:
            parts.append(f"filter {self.filter.text}")
        return " · ".join(parts)


def count_text(shown: int, matching: int, total: int, limit: int | None = None) -> str:
    if limit is not None and shown < matching:
        if matching == total:
            return f"top {shown:,} of {total:,}"
        return f"top {shown:,} of {matching:,} matching ({total:,} in all)"
    if matching == total:
        return f"{total:,} database{'s' if total != 1 else ''}"
    return f"{matching:,} of {total:,}"


@dataclass(frozen=True, slots=True)
class Arranged:
    rows: list[FleetRow]
    matching: int
    """How many rows the filter let through (before the cut)."""
    total: int


def arrange(rows: Iterable[FleetRow], query: FleetQuery) -> Arranged:
    """Filter, sort (else keep the order listed) and cut ``rows``."""
    total = 0
    kept: list[FleetRow] = []
    for row in rows:
        total += 1
        if query.filter.matches(row):
            kept.append(row)
    matching = len(kept)
    if query.sort is None:
        shown = kept if query.limit is None else kept[: query.limit]
    elif query.limit is not None and query.limit < matching:
        shown = top_n(kept, query.limit, query.sort)
    else:
        shown = sort_rows(kept, query.sort)
    return Arranged(shown, matching, total)


# -- selection ----------------------------------------------------------------------------------------------


class Selection:
    """Databases picked by name for a bulk action; names no longer listed drop out on :meth:`retain`."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._keys))

    def toggle(self, key: str) -> bool:
        """Select ``key`` if it was not, else unselect it; returns whether it is selected now."""
        if key in self._keys:
            self._keys.discard(key)
            return False
        self._keys.add(key)
        return True

    def select(self, keys: Iterable[str]) -> None:
        self._keys.update(keys)

    def unselect(self, keys: Iterable[str]) -> None:
        self._keys.difference_update(keys)

    def clear(self) -> None:
        self._keys.clear()

    def retain(self, present: Iterable[str]) -> int:
        """Keep only names in ``present``; returns how many dropped out."""
        before = len(self._keys)
        self._keys.intersection_update(present)
        return before - len(self._keys)

    def chosen(self, rows: Iterable[FleetRow]) -> list[FleetRow]:
        """The selected rows among ``rows``, in their order."""
        return [row for row in rows if row.name in self._keys]
