"""The Commands page's own server CPU per send, in process (AppTest): the page, the command, the outcome, no browser.

Run: ``.venv/bin/python bench/bench_command_page.py [--sends 20] [--profile out.prof] [--root DIR]``.
Sends *Create an order* (a customer, a product, a quantity) ``--sends`` times on a private copy of the demo
database and prints the process's CPU per send (every thread: the page's rerun, the command, the journal's
applier, and one round of the asynchronous worker per send, run before the next send as the worker would);
beside it, as a baseline in the same run, a rerun of the page without a send. ``--root`` measures another
checkout's pages (e.g. the commit before a change), so two versions print figures side by side.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=20)
    parser.add_argument("--db", default="/tmp/bench_room_demo.duckdb", help="the demo database to copy")
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose pages are measured")
    parser.add_argument("--profile", help="write a cProfile of the sends here")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    work = Path(tempfile.mkdtemp(prefix="bench_command_page_"))
    db = work / "room.duckdb"
    shutil.copy(args.db, db)
    os.environ["ESENGINE_DB"] = str(db)
    from streamlit.testing.v1 import AppTest
    from ui.engine import get_engine

    at = AppTest.from_file(str(root / "pages/commands.py"), default_timeout=120).run()
    at.selectbox(key="commands_type").set_value("CreateOrder").run()
    engine = get_engine()
    engine.projections.worker.stop()  # its rounds are run below, one per send, so that they are counted alike
    customers = at.selectbox(key="commands_CreateOrder_customer_id").options
    products = at.selectbox(key="commands_CreateOrder_items_0_product_id").options
    key = "FormSubmitter:commands_CreateOrder_form-Send the command"

    def send(i: int) -> None:
        at.selectbox(key="commands_CreateOrder_customer_id").set_value(customers[i % 8])
        at.selectbox(key="commands_CreateOrder_items_0_product_id").set_value(products[i % 8])
        at.text_input(key="commands_CreateOrder_items_0_quantity").input(str(1 + i % 5))
        at.button(key=key).click().run()
        assert "accepted" in at.success[0].value, [e.value for e in at.error]
        engine.store.writer.drain()
        engine.projections.catch_up_async(limit=1000)

    def measure(action, n: int) -> list[float]:
        cpu = []
        for i in range(n):
            started = time.process_time()
            action(i)
            cpu.append((time.process_time() - started) * 1000)
        return cpu

    for i in range(3):  # warm-up: first imports, caches
        send(i)
    rerun = measure(lambda i: at.run(), args.sends)
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    sends = measure(send, args.sends)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    print(f"{root}: CPU per action (ms), {args.sends} each; load {os.getloadavg()[0]:.2f}")
    for name, cpu in (("rerun of the page, no send (baseline)", rerun), ("send Create an order + worker round", sends)):
        print(f"  {name:<42} median {statistics.median(cpu):6.1f}  mean {statistics.mean(cpu):6.1f}")
    engine.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
