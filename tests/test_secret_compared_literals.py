"""A hand-written check that holds what the caller sent against a quoted literal types the
shared secret into the code: ``if (token !== '3baf…')``, ``headers['x-api-key'] === '…'``,
the literal on either side. Any secret-named operand counts (a variable, a property, a
header key); a UUID-shaped token is a secret there, not an id. Look-alikes stay quiet: the
same check against an environment value, status words and scheme names compared, and a
literal compared with a value whose name says nothing of a secret."""

from __future__ import annotations

import pytest

from pytest_nocode.secretscan.detectors import Text, compared_literals

UUID_TOKEN = "7d1e4c2a-9b3f-4e8d-a6c5-2f0b8e1d9a47"
KEY = "Vq3Lm8Zr2Tx6Wn9Pk4Bs"


@pytest.mark.parametrize(("code", "secret"), [
    ("const token = $json.headers?.['x-agent-token'];\n"
     f"if (token !== '{UUID_TOKEN}') {{ return []; }}", UUID_TOKEN),
    (f"if ($input.first().json.headers['x-api-key'] === \"{KEY}\") return $input.all();", KEY),
    (f"if ('{KEY}' != req.query.secret) throw new Error('no');", KEY),
    (f"const ok = body.apiKey === `{KEY}`;", KEY),
])
def test_a_literal_compared_with_a_secret_is_found(code: str, secret: str) -> None:
    assert [f.value for f in compared_literals(Text(code, "code"))] == [secret]


@pytest.mark.parametrize("code", [
    "if (token !== $env.AGENT_TOKEN) { return []; }",
    "if (tokenStatus === 'expired') refresh();",
    "if (authType === 'bearer') headers.push(x);",
    f"if (msg.topic === '{UUID_TOKEN}') route();",
    f"if ($json.orderId === '{KEY}') pick();",
    "const pair = typeof item.credentialPair === 'object' ? item.credentialPair : {};",
])
def test_other_comparisons_stay_quiet(code: str) -> None:
    assert list(compared_literals(Text(code, "code"))) == []
