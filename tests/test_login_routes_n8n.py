"""A login route is public by design: the caller posts a username and password, the flow
matches them against the stored ones and answers a token or profile, or refuses. The
password check is the route's authentication, so it is no open door (AUTH001) and the
profile it answers after the check is the caller's own (EXP002); AUTH004 asks for a review
of the hand-written check. The match may be run by the database in any SQL node, with the
submitted value bound or put into the query text (an injection of its own, still INJ001,
reachable by anyone), and the refusal may be an If whose other branch answers 401/403.

Look-alikes stay reported: the same lookup whose result is answered whatever it holds (no
refusal), and a lookup by email alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of
from tests.rules import AUTH001, AUTH004, EXP002, INJ001
from tests.test_checks_n8n import app_of, n8n_node, webhook, workflow

CRYPT = ("=SELECT u.id, u.email, u.full_name FROM auth.users a JOIN public.users u ON "
         "a.id = u.id WHERE a.email = '{{ $json.body.email }}' AND a.password_hash = "
         "crypt('{{ $json.body.password }}', a.password_hash)")
PLAIN = ("=SELECT id, email, full_name FROM members WHERE email = '{{ $json.body.email }}' "
         "AND passwd = '{{ $json.body.password }}'")
BY_EMAIL = "=SELECT id, email, full_name FROM members WHERE email = '{{ $json.body.email }}'"


def _login(query: str, *, refuses: bool = True, node: str = "postgres",
           code_in_options: bool = True) -> dict[str, Any]:
    entry = webhook("Login", path="auth/login", method="POST")
    entry["parameters"]["responseMode"] = "responseNode"
    lookup = n8n_node("Check credentials", node, {"operation": "executeQuery", "query": query},
                      version=2.5)
    found = n8n_node("Found?", "if", {"conditions": {"number": [
        {"value1": "={{ $input.all().length }}", "value2": 1, "operation": "equal"}]}})
    token = n8n_node("Issue token", "code", {
        "jsCode": "const u = $input.first().json;\n"
                  "return [{ json: { ...u, token: Buffer.from(u.email).toString('base64') } }];"},
        version=2)
    ok = n8n_node("Welcome", "respondToWebhook", {
        "respondWith": "json",
        "responseBody": "={{ { user: { id: $json.id, email: $json.email, "
                        "full_name: $json.full_name }, token: $json.token } }}"}, version=1.1)
    status = {"options": {"responseCode": 401}} if code_in_options else {"responseCode": 401}
    no = n8n_node("Refuse", "respondToWebhook", {
        "respondWith": "json", "responseBody": "={{ { error: 'wrong email or password' } }}",
        **status}, version=1.1)
    after = "Found?" if refuses else "Issue token"
    links = {"Login": {"main": [[{"node": "Check credentials", "type": "main", "index": 0}]]},
             "Check credentials": {"main": [[{"node": after, "type": "main", "index": 0}]]},
             "Found?": {"main": [[{"node": "Issue token", "type": "main", "index": 0}],
                                 [{"node": "Refuse", "type": "main", "index": 0}]]},
             "Issue token": {"main": [[{"node": "Welcome", "type": "main", "index": 0}]]}}
    nodes = [entry, lookup, found, token, ok, no] if refuses else [entry, lookup, token, ok]
    if not refuses:
        del links["Found?"]
    return workflow("Login", nodes, links)


@pytest.mark.parametrize(("query", "node", "code_in_options"), [
    (CRYPT, "postgres", True), (CRYPT, "postgres", False), (PLAIN, "mySql", True)])
def test_a_login_checked_by_its_query_is_no_open_door(query: str, node: str,
                                                      code_in_options: bool) -> None:
    app = app_of(_login(query, node=node, code_in_options=code_in_options))
    assert findings_of(AUTH001, app) == []
    assert findings_of(EXP002, app) == []
    review = findings_of(AUTH004, app)
    assert len(review) == 1 and "submitted password" in review[0].message
    # the value put into the check's own query is still an injection anyone reaches
    assert [f.resource.name for f in findings_of(INJ001, app)] == ["Check credentials"]


def test_a_lookup_answered_whatever_it_finds_is_open() -> None:
    app = app_of(_login(CRYPT, refuses=False))
    assert len(findings_of(AUTH001, app)) == 1
    assert findings_of(AUTH004, app) == []


def test_a_lookup_by_email_alone_is_no_login() -> None:
    app = app_of(_login(BY_EMAIL))
    assert len(findings_of(AUTH001, app)) == 1
    assert findings_of(AUTH004, app) == []
