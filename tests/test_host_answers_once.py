"""A host's default zone and loopback-ness are answered once per host text (issue 8, "compute
once"): a large org's flows ask them of a few hosts tens of thousands of times."""

from __future__ import annotations

import pytest

from pytest_nocode.model import is_loopback_host
from pytest_nocode.policy import default_zone


@pytest.mark.parametrize(("host", "zone"), [
    ("localhost", "loopback"), ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("[::1]", "loopback"), ("api.localhost", "loopback"),
    ("10.1.2.3", "private"), ("192.168.0.10", "private"), ("fd00::1", "private"),
    ("db.internal", "private"), ("postgres", "host"), ("172.17.0.1", "host"),
    ("api.example.com", "internet"), ("8.8.8.8", "internet"),
])
def test_the_same_answer_the_first_time_and_after(host: str, zone: str) -> None:
    default_zone.cache_clear()
    assert default_zone(host) == zone
    assert default_zone(host) == zone  # from the cache
    assert is_loopback_host(host) is (zone == "loopback")


def test_each_host_is_worked_out_once() -> None:
    default_zone.cache_clear()
    is_loopback_host.cache_clear()
    hosts = ["api.example.com", "10.0.0.7", "localhost"]
    for _ in range(200):
        for host in hosts:
            default_zone(host)
            is_loopback_host(host)
    assert default_zone.cache_info().misses == len(hosts)
    # default_zone asks it once per host too, and the loop's own questions are hits
    assert is_loopback_host.cache_info().misses == len(hosts)
