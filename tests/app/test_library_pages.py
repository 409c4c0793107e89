"""The library domain alone in the app (ESENGINE_DOMAINS=library): every page opens without an error, the
Commands page offers its forms with pickers, time travel folds and checks its streams, Projections lists it."""
import pytest

from esengine import Engine
from esengine.demo import create_demo_database
from tests.conftest import DEMO_END, app_on, app_test
from ui.navigation import PAGES


@pytest.fixture
def library_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ESENGINE_DOMAINS", "library")
    path = tmp_path / "library.duckdb"
    create_demo_database(path, events=600, end=DEMO_END)
    yield from app_on(path, monkeypatch)


def texts(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.error, *at.warning, *at.info, *at.success, *at.caption])


def test_every_page_works_with_the_library_domain_alone(library_app):
    with Engine(library_app) as engine:
        shelf = engine.store.cursor().execute(
            f'SELECT id FROM "{engine.projections.live_table("loans", "books")}" WHERE status = \'on the shelf\' '
            "ORDER BY id LIMIT 1").fetchall()[0][0]
        member = engine.store.cursor().execute(
            f'SELECT id FROM "{engine.projections.live_table("loans", "members")}" WHERE fines_due = 0 '
            "AND books_at_home < 3 ORDER BY id LIMIT 1").fetchall()[0][0]
    for path, title, _ in PAGES:
        at = app_test(path).run()
        assert not at.exception, f"{title}: {at.exception}"
        assert not at.error, f"{title}: {[e.value for e in at.error]}"

    at = app_test("pages/commands.py").run()
    assert set(at.selectbox(key="commands_type").options) >= {"Lend a book (LendBook)", "Pay a fine (PayFine)"}
    at.selectbox(key="commands_type").set_value("LendBook").run()
    assert any(o.endswith(f"on the shelf · {shelf}") for o in at.selectbox(key="commands_LendBook_book_id").options)
    at.selectbox(key="commands_LendBook_book_id").set_value(shelf)
    at.selectbox(key="commands_LendBook_member_id").set_value(member)
    at.button(key="FormSubmitter:commands_LendBook_form-Send the command").click().run()
    assert not at.exception and "Lend a book: accepted" in at.success[0].value

    at.selectbox(key="commands_type").set_value("ReturnBook").run()
    at.selectbox(key="commands_stream_book").set_value(shelf).run()
    assert "is “" in texts(at) and "**on loan** to" in " ".join(m.value for m in at.markdown)

    at = app_test("pages/facilitator.py").run()
    assert "The exercise runs on the Orders domain" in texts(at)

    at = app_test("pages/projections.py").run()
    assert "loans" in at.selectbox(key="proj_name").options
    assert "Eventual consistency" not in at.radio(key="proj_section").options  # an Orders demonstration

    at = app_test("pages/time_travel.py")
    at.query_params["stream"] = member
    at.run()
    assert not at.exception and at.selectbox(key="tt_stream").value == member
    assert "folded from the first event" in texts(at) and "generic fold" not in texts(at)  # by its own class
