"""Hypothesis over the desk's OpenAPI schema: any path parameter, query string or form a signed-in steward sends
gets an answer below 500 (schemathesis's idea, without its network client: the app is called in process)."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.desk.conftest import client_for

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
NASTY = st.sampled_from(["", "0", "-1", "99999999999999999999", "abcdef", "a" * 70, "%00", "../../etc/passwd",
                         "<script>", "'; DROP TABLE failures; --", "2016-2020", "ø" * 10, "\u202e", "2020-13-45"])
VALUE = st.one_of(TEXT, NASTY)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def signed_in(warehouse):
    import os

    url, _ = warehouse
    os.environ["BAOCAO_WAREHOUSE_URL"] = url
    from flows.desk.app import create_app

    app = create_app()
    client, csrf = client_for(app, "lan")
    return app, client, csrf


def operations(app) -> list[tuple[str, str, list[str], list[str], list[str]]]:
    """(method, path template, path parameters, query parameters, form fields) of every operation in the schema."""
    ops = []
    schema = app.openapi()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {})
            form_ref = next(iter(body.values()), {}).get("schema", {}).get("$ref", "")
            fields = list(schema["components"]["schemas"][form_ref.rsplit("/", 1)[-1]]["properties"]) if form_ref else []
            ops.append((method, path, [p["name"] for p in params if p["in"] == "path"],
                        [p["name"] for p in params if p["in"] == "query"], fields))
    return ops


def test_the_schema_lists_every_page_and_action(signed_in):
    paths = {p for _, p, *_ in operations(signed_in[0])}
    assert {"/queue", "/failures/{failure_id}", "/failures/{failure_id}/waive", "/submissions/{submission_id}",
            "/periods/{period}", "/login", "/logout", "/queue/bulk"} <= paths


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_request_makes_the_desk_fail(signed_in, data):
    app, client, csrf = signed_in
    method, path, path_params, query, fields = data.draw(st.sampled_from(
        [op for op in operations(app) if op[1] != "/logout"]))
    url = path
    for name in path_params:
        url = url.replace("{" + name + "}", quote(data.draw(VALUE), safe="") or "x")
    params = {name: data.draw(VALUE) for name in query if data.draw(st.booleans())}
    form = {name: data.draw(VALUE) for name in fields if data.draw(st.booleans())}
    if method == "post" and data.draw(st.booleans()):
        form["csrf_token"] = csrf
    response = client.request(method.upper(), url, params=params, data=form or None)
    assert response.status_code < 500, (method, url, params, form, response.text[:300])
