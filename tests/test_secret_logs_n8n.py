"""SEC002: an n8n Code node that prints a secret to the log (distilled from an instance
backup whose publishing step printed the page access token it read from the environment
before posting; in our own words), and the look-alikes that print no secret."""

from __future__ import annotations

import pytest

from tests.checkrun import findings_of, one
from tests.rules import SEC002
from tests.test_checks_n8n import app_of, code, schedule, workflow


def _publish(js: str, *, disabled: bool = False) -> list:
    step = code("Publish", js)
    if disabled:
        step["disabled"] = True
    return findings_of(SEC002, app_of(workflow("Publish reel", [schedule(), step], {})))


@pytest.mark.parametrize(("js", "printed"), [
    ("const token = $env.PAGE_ACCESS_TOKEN.trim();\nconsole.log('Token:', token);\n"
     "return items;", "token ($env.PAGE_ACCESS_TOKEN)"),
    ("console.log(`key=${$env['SHOP_API_KEY']}`);\nreturn items;", "$env.SHOP_API_KEY"),
    ("const auth = 'Bearer ' + $env.FACEBOOK_PAGE_ACCESS_TOKEN;\n"
     "console.debug({ headers: { Authorization: auth } });\nreturn items;",
     "auth ($env.FACEBOOK_PAGE_ACCESS_TOKEN)"),
    ("const c = $credentials.stripeApi;\nconsole.error(c);\nreturn items;",
     "c ($credentials.stripeApi)"),
], ids=["variable-trimmed", "template", "object-with-header", "credential"])
def test_sec002_code_printing_a_secret_fires(js: str, printed: str) -> None:
    f = one(_publish(js))
    assert f.evidence["printed"] == printed
    assert f.evidence["field"] == "jsCode"


@pytest.mark.parametrize("js", [
    # what a request made with the token answered is not the token
    "const token = $env.PAGE_ACCESS_TOKEN;\n"
    "const res = await this.helpers.httpRequest({ url: 'https://graph.example.com/me',"
    " headers: { Authorization: `Bearer ${token}` } });\nconsole.log(res);\nreturn items;",
    # an id the environment holds is no secret
    "console.log('page', $env.FACEBOOK_PAGE_ID);\nreturn items;",
    # whether it is set, not what it is
    "console.log('token set:', Boolean($env.PAGE_ACCESS_TOKEN));\nreturn items;",
    # read, used, not printed
    "const token = $env.PAGE_ACCESS_TOKEN;\nconsole.log('posting');\n"
    "return [{ json: { token } }];",
], ids=["response", "id", "presence", "not-printed"])
def test_sec002_code_printing_no_secret_is_quiet(js: str) -> None:
    assert _publish(js) == []


def test_sec002_a_disabled_code_node_prints_nothing() -> None:
    js = "console.log($env.PAGE_ACCESS_TOKEN);\nreturn items;"
    assert one(_publish(js)).evidence["line"] == 1
    assert _publish(js, disabled=True) == []
