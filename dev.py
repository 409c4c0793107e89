#!/usr/bin/env python3
"""The project's two commands, for a fresh machine with nothing but Python 3.11:

    python3 dev.py run     install what the app needs (into .venv) and start it on data/explorer.duckdb
    python3 dev.py test    install what the tests need (.venv, Debian's chromium and postgresql if missing) and run them all

Extra arguments go to streamlit or pytest (``python3 dev.py test tests/unit -x``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements.txt"  # the app's pins (run)
TEST_REQUIREMENTS = ROOT / "requirements-test.txt"  # those and the tests' (test)
PYPROJECT = ROOT / "pyproject.toml"


def installed_digest(requirements: Path) -> str:
    """What the install depends on: the pinned requirements, the project's metadata and where the checkout is
    (the editable install points there)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(requirements.read_bytes())
    digest.update(PYPROJECT.read_bytes())
    digest.update(str(ROOT).encode())
    return digest.hexdigest()


def stamp(requirements: Path) -> Path:
    return VENV / f".{requirements.stem}.sha256"


def installed(requirements: Path) -> bool:
    """Whether ``requirements`` are installed as they are now."""
    return stamp(requirements).exists() and stamp(requirements).read_text() == installed_digest(requirements)


def ensure_venv(requirements: Path) -> None:
    """Create .venv, install ``requirements`` and this project (editable, without dependencies: the pins come
    from the requirements), unless that is already installed as it is now. The app's first start installs only
    what the app needs; the tests' install is a superset, so ``run`` after ``test`` installs nothing."""
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if installed(requirements) or (requirements == REQUIREMENTS and installed(TEST_REQUIREMENTS)):
        return
    print(f"installing {requirements.name} ...", flush=True)
    pip = [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.check_call([*pip, "-r", str(requirements)])
    # The build backend (setuptools) is pinned in requirements.txt, so no isolated build environment is fetched.
    subprocess.check_call([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    stamp(requirements).write_text(installed_digest(requirements))


def ensure_chromium() -> None:
    """Debian's chromium for the browser tests (never a downloaded browser)."""
    present = shutil.which("chromium") or Path("/usr/bin/chromium").exists()
    ensure_debian_package("chromium", bool(present), "the browser tests")


def ensure_postgresql() -> None:
    """Debian's postgresql for the PostgreSQL store's tests (they start a throwaway cluster from its programs)."""
    present = (os.environ.get("ESENGINE_TEST_POSTGRES_URL") or shutil.which("pg_ctl")
               or list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")))
    ensure_debian_package("postgresql", bool(present), "the PostgreSQL tests")


def ensure_debian_package(package: str, present: bool, needed_by: str) -> None:
    if present:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"{package} is missing and cannot be installed here (needs root and apt-get); "
              f"{needed_by} will say so.", flush=True)
        return
    print(f"installing Debian's {package} ...", flush=True)
    subprocess.check_call(["apt-get", "update", "-qq"])
    subprocess.check_call(["apt-get", "install", "-y", "-qq", package],
                          env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    ensure_venv(REQUIREMENTS if argv[0] == "run" else TEST_REQUIREMENTS)
    os.chdir(ROOT)
    if argv[0] == "run":
        return subprocess.call([str(PY), "-m", "streamlit", "run", "app.py", *argv[1:]])
    ensure_chromium()
    ensure_postgresql()
    return subprocess.call([str(PY), "-m", "pytest", *(argv[1:] or ["tests"])])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
