"""A throwaway PostgreSQL for the tests: ``initdb`` in a temporary folder (trust authentication, a free
port, its unix socket in the same folder), ``pg_ctl start``, and stopped at the end of the session.

``$ESENGINE_TEST_POSTGRES_URL`` (a server URL whose user may create databases) is used instead when set.
Debian keeps the server's programs in /usr/lib/postgresql/<version>/bin; ``dev.py test`` installs the
``postgresql`` package when it is missing. initdb refuses to run as root, so as root the cluster runs as
the ``postgres`` user the package creates.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from collections.abc import Generator

URL_ENV = "ESENGINE_TEST_POSTGRES_URL"


class Unavailable(Exception):
    """No PostgreSQL can be started here (the message says why and what to install)."""


def binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not versions:
        raise Unavailable("PostgreSQL's programs are missing: install Debian's postgresql "
                          "(apt-get install -y postgresql), or set $ESENGINE_TEST_POSTGRES_URL")
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throwaway() -> Generator[str, None, None]:
    """Yield the URL of a fresh cluster's ``postgres`` database (user ``esengine``); stop it afterwards."""
    bin_dir = binaries()
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="esengine-pg-"))
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            raise Unavailable("running as root without runuser: cannot start PostgreSQL as another user")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], check=False, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise Unavailable(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "esengine", "--no-sync", "-E", "UTF8")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "30",
            "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield f"postgresql://esengine@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


class Databases:
    """A fresh, empty database for each test: one database on the server, its schema dropped and made anew
    (much faster than CREATE DATABASE)."""

    NAME = "esengine_test"

    def __init__(self, server_url: str):
        import psycopg
        self.url = f"{server_url.rsplit('/', 1)[0]}/{self.NAME}"
        with psycopg.connect(server_url, autocommit=True) as con:
            if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.NAME]).fetchall():
                con.execute(f'CREATE DATABASE "{self.NAME}"')

    def fresh(self) -> str:
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            con.execute("DROP SCHEMA IF EXISTS public CASCADE")
            con.execute("CREATE SCHEMA public")
        return self.url
