from tests.conftest import wait_for_app

def test_dbg(app_server, page):
    for path in ["/commands", "/events", "/temporal", "/time_travel", "/events?event_type=OrderCancelled"]:
        page.goto(f"{app_server}{path}")
        wait_for_app(page)
        page.wait_for_timeout(2500)
        print(path, page.get_by_text("Page not found").count())
