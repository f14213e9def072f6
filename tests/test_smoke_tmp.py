from tests.support import run_jobs


def test_create_and_collect(api, app):
    ticket = api.create_ticket()
    assert ticket["state"] == "submitted"
    run_jobs(app)
    got = api.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert got["state"] == "triage", got
