"""Choosing the store from the name of a database: a file path keeps DuckDB, a ``postgresql://`` URL selects
PostgreSQL. Either way the engine gets a DuckDB connection for its read side and a writer that keeps the
store contract (:mod:`esengine.store.contract`)."""
from __future__ import annotations

from pathlib import Path

import duckdb

from esengine.errors import StoreUnavailable
from esengine.store.connection import Database
from esengine.store.postgres import PostgresWriter, is_url, open_replica, shown
from esengine.store.schema import migrate
from esengine.store.journaled_writer import JournaledWriter
from esengine.store.writer import GroupCommitWriter


class OpenStore:
    """An open store: ``connection`` (DuckDB, the read side), ``writer``, and ``close()``."""

    kind = "duckdb"
    connection: duckdb.DuckDBPyConnection
    writer: GroupCommitWriter

    def __init__(self, path: Path, wait: float | None = None):
        self.location = str(path)
        self._database = Database(path, wait=wait)
        self.connection = self._database.connection

    def start_writer(self) -> GroupCommitWriter:
        """Create the schema if needed, then the writer (called by the engine, whose error handling wraps it)."""
        migrate(self.connection)
        self.writer = JournaledWriter(self.connection, self._database.path)
        return self.writer

    def close(self, checkpoint: bool = True) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None:
            try:
                writer.drain()  # what is journaled goes into DuckDB before the checkpoint
            except StoreUnavailable:
                pass  # the applier failed: those commits stay in the journal for the next open
        try:
            self._database.close(checkpoint=checkpoint)
        except duckdb.ResourceInUseException:
            raise  # a reader is mid-query: the database stays open, and its writer goes on serving
        except BaseException:
            if writer is not None:
                writer.close()
            raise
        if writer is not None:
            writer.close()  # stops the applier; removes the journal when everything in it was written


class PostgresStore(OpenStore):
    """A PostgreSQL store: the shared events on the server and this instance's DuckDB replica."""

    kind = "postgresql"

    def __init__(self, url: str):  # no file lock: the server arbitrates between instances
        self.location = shown(url)
        self.url = url
        self.connection = open_replica()
        self.writer = None  # type: ignore[assignment]

    def start_writer(self) -> GroupCommitWriter:
        migrate(self.connection)
        self.writer = PostgresWriter(self.url, self.connection)
        return self.writer

    def close(self, checkpoint: bool = True) -> None:
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            self.connection.close()


def open_store(target: str | Path, wait: float | None = None) -> OpenStore:
    """The store ``target`` names: a ``postgresql://`` URL or a DuckDB file path."""
    if is_url(target):
        return PostgresStore(str(target))
    return OpenStore(Path(target), wait=wait)
