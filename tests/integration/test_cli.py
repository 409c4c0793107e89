"""Every command of ``python -m esengine``, with the exit codes scripts rely on."""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from esengine import Engine
from esengine.cli import FAILED, OK, UNAVAILABLE, USAGE, main
from esengine.errors import StoreUnavailable
from tests.conftest import DATASETS, ROOT


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def db(tmp_path):
    """A database holding the running example of van der Aalst's book (6 cases, 42 events)."""
    path = tmp_path / "cli.duckdb"
    assert run("import", str(DATASETS / "running-example.csv"), "--db", str(path))[0] == OK
    return str(path)


def test_demo_creates_and_then_extends_a_history(tmp_path):
    path = str(tmp_path / "demo.duckdb")
    code, out = run("demo", "--db", path, "--events", "400", "--seed", "3")
    assert code == OK and "Created" in out
    code, out = run("demo", "--db", path, "--events", "300")
    assert code == OK and "Extended" in out
    assert run("verify", "--db", path)[0] == OK


def test_demo_bulk_writes_prepared_events(tmp_path):
    path = str(tmp_path / "bulk.duckdb")
    code, out = run("demo", "--db", path, "--bulk", "--events", "3000")
    assert code == OK
    code, out = run("query", "SELECT count(*) AS n FROM events", "--db", path, "--format", "json")
    assert json.loads(out)[0]["n"] >= 3000


def test_import_reports_counts_and_a_second_import_is_refused_with_exit_1(db, capsys):
    code, out = run("query", "SELECT count(*) AS n, count(DISTINCT stream_id) AS s FROM events", "--db", db,
                    "--format", "json")
    assert json.loads(out) == [{"n": 42, "s": 6}]
    code, _ = run("import", str(DATASETS / "running-example.csv"), "--db", db)
    assert code == FAILED
    assert "already in the store" in capsys.readouterr().err


def test_import_with_a_column_mapping_and_append(tmp_path):
    path = str(tmp_path / "m.duckdb")
    log = tmp_path / "log.csv"
    log.write_text("who,did,at,cost\nk1,Open,2024-01-01T10:00:00+01:00,3\n")
    args = ("--stream-column", "who", "--type-column", "did", "--time-column", "at", "--stream-type", "ticket")
    assert run("import", str(log), "--db", path, *args)[0] == OK
    log.write_text("who,did,at,cost\nk1,Close,2024-01-02T10:00:00Z,4\n")
    assert run("import", str(log), "--db", path, *args)[0] == FAILED  # the stream exists
    assert run("import", str(log), "--db", path, *args, "--append")[0] == OK
    code, out = run("replay", "--stream", "k1", "--db", path)
    assert code == OK
    state = json.loads(out)
    assert (state["version"], state["stream_type"], state["state"]) == (2, "ticket", {"cost": 4})


def test_import_of_a_malformed_file_exits_1_and_writes_nothing(db, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("case:concept:name,concept:name,time:timestamp\nx,Start,yesterday\n")
    assert run("import", str(bad), "--db", db)[0] == FAILED
    assert "line 2" in capsys.readouterr().err
    assert json.loads(run("query", "SELECT count(*) AS n FROM events", "--db", db, "--format", "json")[1]) == \
        [{"n": 42}]


def test_export_with_browser_filters_writes_the_matching_events(db, tmp_path):
    out_file = tmp_path / "out.jsonl"
    code, out = run("export", "--db", db, "--format", "jsonl", "--out", str(out_file), "--stream", "3",
                    "--event-type", "register request,decide", "--from", "2010-12-30T00:00:00Z", "--to",
                    "2011-01-07")
    assert code == OK and "Exported 2 events" in out
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [(e["subject"], e["type"]) for e in lines] == [("3", "register request"), ("3", "decide")]
    for fmt in ("csv", "parquet"):
        assert run("export", "--db", db, "--format", fmt, "--out", str(tmp_path / f"all.{fmt}"))[0] == OK
        assert run("import", str(tmp_path / f"all.{fmt}"), "--db", str(tmp_path / f"{fmt}.duckdb"))[0] == OK


def test_replay_prints_the_state_at_a_version_or_a_moment(db):
    code, out = run("replay", "--stream", "3", "--version", "2", "--db", db)
    state = json.loads(out)
    assert code == OK and state["version"] == 2 and state["latest_version"] == 9
    assert state["state"]["Activity"] == "examine casually"
    code, out = run("replay", "--stream", "3", "--at", "2010-12-30T14:10:00Z", "--db", db)
    assert code == OK and json.loads(out)["version"] == 2  # the second event happened at 14:06 UTC


def test_replay_of_an_unknown_stream_exits_1_and_bad_options_exit_2(db, capsys):
    assert run("replay", "--stream", "nope", "--db", db)[0] == FAILED
    assert "nope" in capsys.readouterr().err
    assert run("replay", "--stream", "3", "--version", "1", "--at", "2011-01-01", "--db", db)[0] == USAGE
    assert run("replay", "--db", db)[0] == USAGE  # --stream is required


def test_query_formats_and_rejections(db, capsys):
    sql = "SELECT stream_id, count(*) AS n FROM events GROUP BY 1 ORDER BY 1"
    code, table = run("query", sql, "--db", db)
    assert code == OK and table.split()[:2] == ["stream_id", "n"]
    code, text = run("query", sql, "--db", db, "--format", "csv")
    assert text.splitlines()[0] == "stream_id,n" and len(text.splitlines()) == 7
    code, text = run("query", sql, "--db", db, "--format", "json")
    assert sum(row["n"] for row in json.loads(text)) == 42
    assert run("query", "DELETE FROM events", "--db", db)[0] == FAILED
    assert "DELETE" in capsys.readouterr().err
    assert run("query", sql, "--db", db, "--format", "xml")[0] == USAGE


def test_verify_passes_on_a_sound_store_and_exits_1_naming_what_is_wrong(db):
    code, out = run("verify", "--db", db)
    assert code == OK and "42 events" in out
    con = duckdb.connect(db)
    con.execute("DELETE FROM events WHERE position = 5")
    con.execute("UPDATE events SET version = 40 WHERE position = 10")
    con.close()
    code, out = run("verify", "--db", db)
    assert code == FAILED
    assert "after 4 comes 6" in out and "[versions]" in out and "version 40" in out


def test_a_missing_database_or_one_held_by_another_process_exits_3(db, tmp_path, capsys):
    assert run("verify", "--db", str(tmp_path / "missing.duckdb"))[0] == UNAVAILABLE
    assert not (tmp_path / "missing.duckdb").exists()
    holder = subprocess.Popen([sys.executable, "-c", ("import sys; from esengine import Engine; e = Engine(sys.argv[1]);"
                               " print('ready', flush=True); sys.stdin.read()"), db],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        capsys.readouterr()
        assert run("verify", "--db", db)[0] == UNAVAILABLE
        assert "in use by another process" in capsys.readouterr().err
    finally:
        holder.stdin.close()
        holder.wait(30)


def test_python_dash_m_esengine_runs_with_help_and_exit_codes(db):
    done = subprocess.run([sys.executable, "-m", "esengine", "verify", "--help"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "exit codes" in done.stdout and "--db" in done.stdout
    done = subprocess.run([sys.executable, "-m", "esengine", "query", "SELECT 1 AS one", "--db", db, "--format",
                           "csv"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "one\n1\n")
    done = subprocess.run([sys.executable, "-m", "esengine", "frobnicate"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "invalid choice" in done.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_work_shows_a_progress_bar_on_a_terminal_only():
    from esengine.cli import Progress
    terminal = _Terminal()
    bar = Progress(terminal)
    bar.fraction(0.0, "Reading the file")
    bar.fraction(1.0, "Done")
    bar.done()
    assert "Reading the file" in terminal.getvalue() and "100%" in terminal.getvalue()
    piped = io.StringIO()
    Progress(piped).fraction(0.5, "Reading the file")
    assert piped.getvalue() == ""


# -- a database that cannot be used: exit 3 and one plain line, never a traceback (issue 12, item 7) ----------
def _truncated(db: str, size: int) -> str:
    with open(db, "rb") as f:
        head = f.read(size)
    path = f"{db}.cut{size}"
    with open(path, "wb") as f:
        f.write(head)
    return path


def _random_bytes(tmp_path) -> str:
    path = tmp_path / "random.duckdb"
    path.write_bytes(random.Random(12).randbytes(300_000))
    return str(path)


def _newer_schema(db: str) -> str:
    con = duckdb.connect(db)
    con.execute("INSERT INTO schema_info VALUES (999, now()::TIMESTAMP)")
    con.close()
    return db


UNUSABLE = {  # how to make the file, what the message says
    "truncated after its header": (lambda db, tmp: _truncated(db, 20_000), "damaged or not an esengine database"),
    "truncated inside its header": (lambda db, tmp: _truncated(db, 5_000), "damaged or not an esengine database"),
    "random bytes": (lambda db, tmp: _random_bytes(tmp), "damaged or not an esengine database"),
    "a folder": (lambda db, tmp: str(tmp), "is a folder, not a database file"),
    "a newer schema version": (lambda db, tmp: _newer_schema(db), "newer than this release understands"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_a_database_that_cannot_be_used_exits_3_with_a_plain_message(db, tmp_path, capsys, case):
    make, message = UNUSABLE[case]
    path = make(db, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    assert run("verify", "--db", path)[0] == UNAVAILABLE
    err = capsys.readouterr().err
    assert err.startswith("Database unavailable: ") and message in err and len(err.splitlines()) == 1
    assert run("import", str(DATASETS / "running-example.csv"), "--db", path)[0] == UNAVAILABLE
    with pytest.raises(StoreUnavailable, match=message):
        Engine(path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == \
        [n for n in before if not n.endswith(".lock")]  # nothing created beside it, apart from the lock file


def test_an_unreadable_database_exits_3_with_a_plain_message(db, tmp_path):
    folder = Path(tempfile.mkdtemp())  # a folder another user can enter (pytest's tmp_path is private)
    try:
        folder.chmod(0o755)
        path = folder / "locked.duckdb"
        shutil.copy(db, path)
        path.chmod(0)
        as_nobody = None
        if os.geteuid() == 0:  # root reads any file: ask as an ordinary user
            def as_nobody():
                os.setgid(65534)
                os.setuid(65534)
        done = subprocess.run([sys.executable, "-m", "esengine", "verify", "--db", str(path)], cwd=ROOT,
                              capture_output=True, text=True, preexec_fn=as_nobody, check=False)
        assert done.returncode == UNAVAILABLE
        assert "Permission denied" in done.stderr and "Traceback" not in done.stderr
    finally:
        shutil.rmtree(folder)


def test_domains_are_named_by_import_path_and_an_unknown_one_is_refused_by_name(tmp_path, monkeypatch):
    from esengine import Engine, UnknownDomain
    with Engine(tmp_path / "a.duckdb", domains=("esengine.domains.orders",)) as engine:
        assert "order" in engine.repositories
    with pytest.raises(UnknownDomain, match="'no.such.domain'"):
        Engine(tmp_path / "b.duckdb", domains=("no.such.domain",))
    with pytest.raises(UnknownDomain, match="no register"):
        Engine(tmp_path / "c.duckdb", domains=("esengine.errors",))
    monkeypatch.setenv("ESENGINE_DOMAINS", "")
    with Engine(tmp_path / "d.duckdb") as engine:
        assert "order" in engine.repositories  # the default
    monkeypatch.setenv("ESENGINE_DOMAINS", " ")
    with Engine(tmp_path / "e.duckdb", domains=()) as engine:
        assert engine.repositories == {}
