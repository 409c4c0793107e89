"""The guide's domain (docs/your-own-domain.md), written into a folder outside the project and registered by its
import path: its commands through the bus and the command line, its rules refusing, its read model and query,
time travel folding it with its own aggregate, what-if with its own rules, and its upcaster."""
import os
import subprocess
import sys
from io import StringIO

import pytest

from esengine import DomainRuleViolation, Engine, NewEvent, UnknownDomain
from esengine.cli import main
from esengine.forms import engine_forms, reference_options
from esengine.timetravel import state_at, what_if
from tests.fixtures.guide_domain import guide_domain_on_path


@pytest.fixture
def helpdesk(tmp_path, monkeypatch):
    name, folder = guide_domain_on_path(tmp_path, monkeypatch)
    yield name, folder
    sys.modules.pop(name, None)


def test_its_commands_rules_read_model_and_time_travel(helpdesk, tmp_path):
    name, _ = helpdesk
    with Engine(tmp_path / "desk.duckdb", domains=(name,)) as engine:
        submit = engine.commands.submit
        ticket = submit("OpenTicket", {"subject": "VPN drops", "priority": 2}).value
        with pytest.raises(DomainRuleViolation) as refused:
            submit("CloseTicket", {"ticket_id": ticket, "resolution": "Rebooted"})
        assert refused.value.rule == "only an assigned ticket is closed"
        submit("AssignTicket", {"ticket_id": ticket, "agent": "Ana", "expected_version": 1})
        submit("CloseTicket", {"ticket_id": ticket, "resolution": "Rebooted"})
        assert engine.queries.ask(sys.modules[name].OpenTickets()) == []
        assert [o.id for o in reference_options(engine, "ticket")] == [ticket]
        assert engine_forms(engine)[1].field("ticket_id").reference == "ticket"
        engine.forms.pickers.clear()  # without a picker hint: the ticket ids from the event store
        assert [o.id for o in reference_options(engine, "ticket", search=ticket[-5:])] == [ticket]

        state = state_at(engine, ticket, version=2)
        assert state.fold == "aggregate" and state.state["agent"] == "Ana" and state.state["status"] == "assigned"
        result = what_if(engine, ticket, skip=[2])  # never assigned: the closing is refused by its own rule
        assert [(b.version, b.rule) for b in result.breaks] == [(3, "only an assigned ticket is closed")]
        assert result.alternative["status"] == "open"

        old = engine.store.append("ticket-old", [NewEvent("TicketOpened", {"ticket_id": "ticket-old", "title": "Fax"},
                                                          schema_version=1)], 0)
        assert old.events and state_at(engine, "ticket-old").state["priority"] == 3  # read through the upcaster


def test_its_commands_through_the_command_line(helpdesk, tmp_path):
    name, folder = helpdesk
    db = str(tmp_path / "cli.duckdb")
    out = StringIO()
    assert main(["demo", "--db", db, "--domain", name, "--events", "60", "--quiet"], out) == 0
    env = dict(os.environ, PYTHONPATH=str(folder))
    sent = subprocess.run([sys.executable, "-m", "esengine", "send", "OpenTicket", '{"subject": "Scanner"}',
                           "--db", db, "--domain", name], check=False, capture_output=True, text=True, env=env, timeout=120)
    assert sent.returncode == 0, sent.stderr
    ticket = sent.stdout.split("stream ")[1].split(" ")[0]
    assert main(["send", "CloseTicket", f'{{"ticket_id": "{ticket}", "resolution": "x"}}', "--db", db,
                 "--domain", name], out) == 1  # too short, and not assigned: refused
    replay = StringIO()
    assert main(["replay", "--db", db, "--domain", name, "--stream", ticket], replay) == 0
    assert '"fold": "aggregate"' in replay.getvalue() and '"status": "open"' in replay.getvalue()


def test_an_unknown_domain_is_refused_by_name(tmp_path):
    with pytest.raises(UnknownDomain, match="helpdsk"):
        Engine(tmp_path / "x.duckdb", domains=("helpdsk",))
