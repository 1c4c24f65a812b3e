"""Plain HTTP to a node of an encrypting mesh VPN (Tailscale and its kin hand out
100.64.0.0/10 addresses, fd7a:115c:a1e0::/48 for IPv6, and MagicDNS names under ts.net)
crosses no wire unencrypted: the WireGuard tunnel between the two machines carries it, so
ENC001 is quiet even when credentials travel. The look-alikes stay reported: a LAN address
with credentials, and a ts.net look-alike on the internet. A policy that places such a host
in a zone itself is followed."""

from __future__ import annotations

import pytest

from pytest_nocode.policy import default_zone, is_overlay_host, load_policy_text
from tests.checkrun import findings_of
from tests.rules import ENC001
from tests.test_checks_n8n import app_of, chain, http_request, schedule, workflow


def _push(url: str) -> dict[str, object]:
    request = http_request("Run agent", url)
    request["parameters"]["sendHeaders"] = True
    request["parameters"]["headerParameters"] = {"parameters": [
        {"name": "Authorization", "value": "Bearer 9fK2qLm7Xz4RtB8vWc1NyH6dPa3sJe5U"}]}
    return workflow("Night shift", [schedule(), request], chain("Schedule Trigger", "Run agent"))


@pytest.mark.parametrize("url", ["http://100.117.44.51:18789/run",
                                 "http://khameleon.tailafb692.ts.net:8080/run",
                                 "http://[fd7a:115c:a1e0::12]:8080/run"])
def test_cleartext_inside_a_tailnet_is_quiet(url: str) -> None:
    assert findings_of(ENC001, app_of(_push(url))) == []


@pytest.mark.parametrize("url", ["http://192.168.1.20:18789/run",
                                 "http://ts.net.example.com/run", "http://100.128.0.1/run"])
def test_cleartext_with_credentials_elsewhere_is_reported(url: str) -> None:
    assert len(findings_of(ENC001, app_of(_push(url)))) == 1


def test_a_policy_placing_the_range_is_followed() -> None:
    policy = load_policy_text("version: 1\ntrust_zones:\n  internet:\n"
                              "    hosts: ['100.64.0.0/10']\n", "test policy")
    assert len(findings_of(ENC001, app_of(_push("http://100.117.44.51/run")), policy)) == 1


@pytest.mark.parametrize(("host", "overlay", "zone"), [
    ("100.101.102.103", True, "private"), ("node.tail1234.ts.net", True, "private"),
    ("10.0.0.4", False, "private"), ("ts.net.evil.example", False, "internet")])
def test_overlay_hosts(host: str, overlay: bool, zone: str) -> None:
    assert (is_overlay_host(host), default_zone(host)) == (overlay, zone)
