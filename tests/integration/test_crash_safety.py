"""kill -9 while commands are being written: every acknowledged command is there with its log row."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from esengine import Engine
from esengine.store.verify import verify_store
from tests.conftest import ROOT

WRITER = textwrap.dedent("""
    import sys
    from esengine import Engine
    from esengine.application.context import CommandContext
    engine = Engine(sys.argv[1])
    product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 1.0}).value
    print("product", product, flush=True)
    i = 0
    while True:
        i += 1
        context = CommandContext(user_id="crash-test")
        engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 1 + i % 50},
                               context)
        print("ack", context.command_id, flush=True)  # acknowledged: submit returned
""")


def _run_and_kill(path, acks_before_kill: int) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    acked = []
    try:
        for line in proc.stdout:
            kind, value = line.split()
            if kind == "ack":
                acked.append(value)
                if len(acked) >= acks_before_kill:
                    break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    return acked


def test_after_kill_9_every_acknowledged_command_has_its_events_and_its_log_row(tmp_path):
    path = tmp_path / "crash.duckdb"
    acked = []
    for round_ in range(3):
        acked += _run_and_kill(path, acks_before_kill=40 + 25 * round_)
    with Engine(path) as engine:
        cur = engine.store.cursor()
        logged = {r[0] for r in cur.execute(
            "SELECT command_id FROM command_log WHERE outcome = 'accepted' AND command_type = 'ChangeProductPrice'"
        ).fetchall()}
        with_events = {r[0] for r in cur.execute(
            "SELECT DISTINCT json_extract_string(metadata, '$.command_id') FROM events "
            "WHERE event_type = 'ProductPriceChanged'").fetchall()}
        assert set(acked) <= logged, "an acknowledged command lost its log row"
        assert set(acked) <= with_events, "an acknowledged command lost its events"
        assert logged == with_events, "a command has events without a log row, or a log row without events"
        assert verify_store(engine).ok
