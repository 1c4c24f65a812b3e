"""Secrets Node-RED nodes hold by what the field is, in our own words from real flows, with the
look-alikes: the key an HMAC or cipher node signs or encrypts with (a word-made key is still
the key; a stand-in, an expression or an environment reference is not), and a device access
token of letters only in a ThingsBoard URL path (words run together are not one)."""

from __future__ import annotations

import pytest

from tests.test_secret_filters import _values, nodered


@pytest.mark.parametrize("key", ["kf-signing", "Pz7t)Qe(2m;Lw9+Rk1=vXa", "gatehouse42"])
def test_the_key_of_an_hmac_node_is_a_secret(key: str) -> None:
    assert _values(nodered("hmac", algorithm="HmacSHA256", key=key)) == [key]


def test_the_key_of_a_cipher_node_is_a_secret() -> None:
    assert _values(nodered("encrypt", algorithm="AES", key="orchard-ledger")) == \
        ["orchard-ledger"]


@pytest.mark.parametrize("key", [
    "yoursecret",  # a stand-in left for the user
    "secret-key",  # names a secret, nothing else
    "{{flow.hmacKey}}",  # filled in at run time
    "${HMAC_KEY}",  # the environment's
    "changeme",
])
def test_stand_ins_and_references_in_an_hmac_key_are_not_secrets(key: str) -> None:
    assert _values(nodered("hmac", algorithm="HmacSHA256", key=key)) == []


def test_a_key_field_on_other_nodes_keeps_its_own_rules() -> None:
    """A change node's or a split node's ``key`` names a property: only an HMAC or cipher
    node (with its ``algorithm``) uses the field as the key itself."""
    assert _values(nodered("hmac", key="kf-signing")) == []  # no algorithm: not crypto-js
    assert _values(nodered("join", key="kf-signing", mode="custom")) == []


@pytest.mark.parametrize(("segment", "found"), [
    ("qHTrbWmzKcYxLpNaVeUd", True),  # generated, letters only
    ("ReadingsFromTheBarn", False),  # words run together
    ("BARNSENSORDEVICEONE", False),  # capitals only: a name
])
def test_a_letters_only_device_token_in_a_thingsboard_path(segment: str, found: bool) -> None:
    url = f"http://tb-core:9090/api/v1/{segment}/telemetry"
    assert _values(nodered("http request", url=url, method="POST")) == \
        ([segment] if found else [])


@pytest.mark.parametrize(("password", "kind", "found"), [
    ("password", "str", True),  # the installer's default, typed in: the server's password
    ("postgres", "str", True),
    ("password", "env", False),  # the name of an environment variable
    ("${DB_PASSWORD}", "str", False),  # filled in from the environment
    ("your-password", "str", False),  # a stand-in
])
def test_a_default_password_typed_into_a_database_config(password: str, kind: str,
                                                         found: bool) -> None:
    step = nodered("postgreSQLConfig", z="", host="203.0.113.9", port="5432",
                   database="flats", user="postgres", userFieldType="str", password=password,
                   passwordFieldType=kind)
    assert _values(step) == ([password] if found else [])


def test_a_default_word_outside_a_database_config_stays_a_stand_in() -> None:
    assert _values(nodered("http request", url="https://api.flats.test/v1",
                           password="password")) == []
