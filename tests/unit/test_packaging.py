"""The engine installs as a package: a wheel that holds `esengine` (not the app, the tests or the benchmarks) and
an `esengine` command that runs from the environment it is installed into."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from a copy of the project's packaged files (a build in the checkout would leave
    build/ and *.egg-info behind)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "esengine", source / "esengine", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
                           "--no-build-isolation", "--wheel-dir", str(out), str(source)],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("esengine-*.whl")
    return built


def test_the_wheel_holds_every_engine_module_and_nothing_of_the_app(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    engine = {p.relative_to(ROOT).as_posix() for p in (ROOT / "esengine").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}  # modules and their data (the demo's catalogue)
    assert engine <= names, f"missing from the wheel: {sorted(engine - names)}"
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"esengine"}


def test_the_wheel_declares_the_console_script_and_the_engine_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert scripts["console_scripts"]["esengine"] == "esengine.cli:main"
    requires = {line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")}
    core = {r for r in requires if "extra ==" not in r}
    assert {r.split(">")[0].split("=")[0] for r in core} == {"duckdb", "pandas", "pyarrow", "pydantic"}
    assert any("streamlit" in r and "extra == \"app\"" in r for r in requires)
    assert any("pytest" in r and "extra == \"test\"" in r for r in requires)


def test_the_installed_command_runs_the_same_cli_as_python_m_esengine(wheel: Path, tmp_path: Path) -> None:
    """A fresh environment gets the wheel (its dependencies come from this one, so nothing is downloaded), and
    `esengine --help` there prints the CLI's help, run from a folder that is not the checkout."""
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(own_site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                           "--disable-pip-version-check", "--no-deps", "--no-index", str(wheel)],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    command = subprocess.run([str(env_dir / "bin" / "esengine"), "--help"], cwd=tmp_path,
                             check=False, capture_output=True, text=True, timeout=120)
    module = subprocess.run([sys.executable, "-m", "esengine", "--help"], cwd=ROOT,
                            check=False, capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stderr
    assert "verify" in command.stdout and command.stdout == module.stdout
    where = subprocess.run([str(python), "-c", "import esengine; print(esengine.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(Path(own_site))
    # the installed package carries its data: a small demo history comes from the packaged catalogue
    demo = subprocess.run([str(env_dir / "bin" / "esengine"), "demo", "--db", str(tmp_path / "demo.duckdb"),
                           "--events", "100", "--quiet"], cwd=tmp_path, check=False, capture_output=True, text=True,
                          timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo.duckdb").is_file()
