"""The event store on DuckDB: schema and migrations, the single group-committing writer, reads."""
