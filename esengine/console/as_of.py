"""SQL:2011's temporal clauses in the console: ``FROM <table> FOR SYSTEM_TIME AS OF '<moment>'`` (the recorded
clock: what the store had recorded by then) and ``FOR VALID_TIME AS OF '<moment>'`` (the occurred clock: what
had happened by then).

DuckDB has no such clause, so the query is rewritten before the console's checks: each ``<table> FOR ... AS OF
'<moment>'`` becomes a relation of its own (``"asof_<digest>" AS <table>``), built by the engine from the events
up to that moment and handed to the sealed worker like any other table. The tables it applies to:

- a read-model table (``rm_orders_v1_orders``, or its short name ``orders``): the read model rebuilt from the
  events up to the moment (:func:`esengine.temporal.read_model_as_of`);
- ``streams``: every stream's state (the merge of its events' data) as of the moment
  (:func:`esengine.temporal.streams_as_of`); without a clause, as of now;
- ``events``: the events recorded (or that occurred) by then.

The clause is found with DuckDB's own tokenizer, so text inside strings, quoted names and comments is never
taken for it. A moment that is not a date and time, or a clause on anything else, is refused before anything runs.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from esengine.core.events import as_utc_naive
from esengine.errors import EsEngineError, QueryRejected
from esengine.projections.stream_states import NAME as STATES_PROJECTION

CLOCKS = {"system_time": "recorded_at", "valid_time": "occurred_at"}
STREAMS = "streams"
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?", re.IGNORECASE)
_EXAMPLE = "FROM streams FOR SYSTEM_TIME AS OF '2026-03-01 12:00:00'"


@dataclass(frozen=True)
class AsOf:
    """One ``<table> FOR <clock> AS OF <moment>`` of a query (``moment`` None: ``streams`` as of now)."""

    table: str
    clock: str
    moment: datetime | None

    @property
    def relation(self) -> str:
        """The name the rewritten query reads it by."""
        key = f"{self.table}|{self.clock}|{self.moment.isoformat() if self.moment else 'now'}"
        return "asof_" + hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rewritten:
    sql: str
    as_of: tuple[AsOf, ...]


@dataclass(frozen=True)
class _Token:
    text: str
    kind: str
    start: int
    end: int


def _tokens(sql: str) -> list[_Token]:
    try:
        found = duckdb.tokenize(sql)
    except duckdb.Error as e:  # the checks word a query DuckDB cannot read
        raise QueryRejected(f"The query could not be read: {e}. Check the SQL syntax.") from e
    out = []
    for i, (start, kind) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(sql)
        text = sql[start:end].rstrip()
        if str(kind).rsplit(".", 1)[-1] != "comment":
            out.append(_Token(text, str(kind).rsplit(".", 1)[-1], start, start + len(text)))
    return out


def _word(token: _Token | None) -> str:
    return token.text.lower() if token is not None and token.kind in ("keyword", "identifier") else ""


def _name(token: _Token) -> str:
    return token.text[1:-1].replace('""', '"') if token.text.startswith('"') else token.text.lower()


def parse_moment(text: str) -> datetime:
    """A moment as written in the clause ('2026-03-01', '2026-03-01 12:00:00', ISO 8601 with an offset) as naive
    UTC; ``QueryRejected`` for anything else."""
    if not _MOMENT.fullmatch(text.strip()):
        raise QueryRejected(f"'{text[:60]}' in FOR ... AS OF is not a date and time. Write it as '2026-03-01' or "
                            f"'2026-03-01 12:00:00' (UTC unless an offset such as +02:00 is given), e.g. {_EXAMPLE}.")
    try:
        return as_utc_naive(datetime.fromisoformat(text.strip().replace("z", "Z")))
    except ValueError as e:
        raise QueryRejected(f"'{text[:60]}' in FOR ... AS OF is not a date and time that exists ({e}). "
                            f"Write it as '2026-03-01 12:00:00', e.g. {_EXAMPLE}.") from None


def rewrite(sql: str) -> Rewritten:
    """The query with each temporal clause replaced by the relation that holds the table as of that moment."""
    tokens = _tokens(sql)
    pieces, done, found = [], 0, []
    for i, token in enumerate(tokens):
        if _word(token) != "for" or _word(tokens[i + 1] if i + 1 < len(tokens) else None) not in CLOCKS:
            continue
        clock = CLOCKS[_word(tokens[i + 1])]
        first, alias = _table_and_alias(tokens, i)
        table, end, moment = _name(tokens[first]), *_clause(tokens, i)
        as_of = AsOf(table, clock, moment)
        found.append(as_of)
        follows = tokens[end + 1] if end + 1 < len(tokens) else None
        if alias is None and not (follows is not None and (follows.kind == "identifier" or _word(follows) == "as")):
            alias = '"{}"'.format(table.replace('"', '""'))
        source = events_as_of(as_of) if table == "events" else f'"{as_of.relation}"'
        pieces += [sql[done:tokens[first].start], source + (f" AS {alias}" if alias else "")]
        done = tokens[end].end
    pieces.append(sql[done:])
    return Rewritten("".join(pieces), tuple(found))


def _table_and_alias(tokens: list[_Token], at: int) -> tuple[int, str | None]:
    """Where the table before ``FOR`` (at ``at``) is, and the alias written between them (``streams s FOR ...``,
    ``streams AS s FOR ...``), if any."""
    kinds = [t.kind if t.kind != "keyword" else _word(t) for t in tokens[max(0, at - 3):at]]
    if kinds[-3:] == ["identifier", "as", "identifier"]:
        return at - 3, tokens[at - 1].text
    if kinds[-2:] == ["identifier", "identifier"]:
        return at - 2, tokens[at - 1].text
    if kinds[-1:] != ["identifier"] or (at > 1 and tokens[at - 2].text == "."):
        raise QueryRejected("FOR SYSTEM_TIME / VALID_TIME AS OF must follow a table's name (without a schema), "
                            f"as in {_EXAMPLE}.")
    return at - 1, None


def _clause(tokens: list[_Token], at: int) -> tuple[int, datetime]:
    """The index of the last token of the clause starting with ``FOR`` at ``at``, and its moment."""
    rest = tokens[at + 2:at + 6]
    words = [_word(t) for t in rest]
    if words[:2] != ["as", "of"]:
        raise QueryRejected(f"After FOR {tokens[at + 1].text.upper()} the console expects AS OF '<moment>', "
                            f"as in {_EXAMPLE}.")
    literal = 2 + (len(words) > 2 and words[2] == "timestamp")
    moment = rest[literal] if len(rest) > literal else None
    if moment is None or moment.kind != "string_const":
        raise QueryRejected(f"AS OF needs a moment in quotes, such as '2026-03-01 12:00:00' ({_EXAMPLE}); "
                            "expressions and parameters are not supported there.")
    return at + 2 + literal, parse_moment(moment.text[1:-1].replace("''", "'"))


def _quoted(moment: datetime) -> str:
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S.%f}'"


def events_as_of(as_of: AsOf) -> str:
    """``events`` as of a moment needs no copy: a filter on the Arrow copy of ``events`` (the moment is parsed and
    written by us, never the query's text)."""
    assert as_of.moment is not None
    return f"(SELECT * FROM events WHERE {as_of.clock} <= {_quoted(as_of.moment)})"


def build(engine, as_of: AsOf) -> pa.Table:
    """The rows of one table as of its moment, as Arrow (``streams``, or a read-model table)."""
    from esengine.temporal import read_model_as_of
    try:
        if as_of.table == STREAMS:
            return pa.Table.from_pandas(_streams(engine, as_of), preserve_index=False)
        if as_of.moment is None:
            raise QueryRejected(f"Say which moment to read {as_of.table} at: FOR VALID_TIME AS OF '<moment>'.")
        projection, table = read_model_table(engine, as_of.table)
        frame = read_model_as_of(engine, projection, as_of.moment, by=as_of.clock)[table]
    except QueryRejected:
        raise
    except EsEngineError as e:
        raise QueryRejected(f"{as_of.table} as of {as_of.moment:%Y-%m-%d %H:%M:%S} UTC: {e}") from e
    return pa.Table.from_pandas(frame, preserve_index=False)


MAX_RELATIONS = 4
"""The most tables as of a moment one query may build (each is built in the app's process, before the worker's time
limit starts: a read model as of a moment takes about 1.5 s per million events)."""


def check_tables(engine, rewritten: Rewritten) -> None:
    """``QueryRejected`` when a clause names a table it does not apply to, or the query asks for more than
    ``MAX_RELATIONS`` tables as of a moment (before anything is built or run)."""
    built = {a.relation for a in rewritten.as_of if a.table != "events"}
    if len(built) > MAX_RELATIONS:
        raise QueryRejected(f"This query asks for {len(built)} tables as of a moment; the console builds at most "
                            f"{MAX_RELATIONS} per query. Use fewer moments, or split it into several queries.")
    for as_of in rewritten.as_of:
        if as_of.table not in (STREAMS, "events"):
            read_model_table(engine, as_of.table)


def _streams(engine, as_of: AsOf):
    """Every stream as of the moment (as of now without one); none before the history starts, as in SQL."""
    from esengine.temporal import history_span, streams_as_of
    first, last = history_span(engine.store, by=as_of.clock)
    if first is None or last is None:
        raise QueryRejected("The store holds no events yet, so there are no streams to query.")
    at: datetime = as_of.moment or last
    frame = streams_as_of(engine.store, max(at, first), by=as_of.clock)
    return frame.head(0) if at < first else frame


def read_model_table(engine, name: str) -> tuple[str, str]:
    """The projection and table a name stands for: a live read-model table (``rm_orders_v1_orders``) or its
    short name (``orders``); ``QueryRejected`` for anything else."""
    tables: dict[str, tuple[str, str]] = {}
    for projection in engine.projections.registered:
        if projection == STATES_PROJECTION:  # one row per event: `streams` is the view of it to ask
            continue
        live = engine.projections.projection(projection)
        for t in live.tables:
            tables[live.table_name(t.name).lower()] = (projection, t.name)
            tables.setdefault(t.name.lower(), (projection, t.name))
    if name not in tables:
        raise QueryRejected(f"FOR SYSTEM_TIME / VALID_TIME AS OF works on the read-model tables, `streams` and "
                            f"`events`; '{name}' is none of them. Known: streams, events, "
                            f"{', '.join(sorted(n for n in tables if n.startswith('rm_')))}.")
    return tables[name]


__all__ = ["STREAMS", "AsOf", "Rewritten", "build", "check_tables", "parse_moment", "rewrite"]
