"""A device API URL whose path is the device's access token (ThingsBoard's HTTP device API),
distilled in our own words from a real telemetry flow, with the look-alikes: a placeholder, an
environment reference, a plain path segment."""

from __future__ import annotations

import pytest

from tests.test_secret_filters import _values, nodered


@pytest.mark.parametrize("url", [
    "http://tb-core:9090/api/v1/7gQxW2pLr9ZkT4nVb8Ms/telemetry",
    "https://iot.example-fleet.com/api/v1/k3v9x1q7m2z8w4r6t0yu/attributes",
])
def test_device_token_in_the_url_path_is_a_secret(url: str) -> None:
    token = url.split("/api/v1/")[1].split("/")[0]
    assert _values(nodered("http request", url=url, method="POST")) == [token]


@pytest.mark.parametrize("url", [
    "http://tb-core:9090/api/v1/YOUR_DEVICE_TOKEN1/telemetry",  # a placeholder
    "http://tb-core:9090/api/v1/${TB_TOKEN_2}/telemetry",  # a reference
    "http://tb-core:9090/api/v1/devices/telemetry",  # a word, not a token
    "http://tb-core:9090/api/v1/{{token}}/telemetry",  # filled in from the message
])
def test_lookalike_path_segments_are_not_tokens(url: str) -> None:
    assert _values(nodered("http request", url=url, method="POST")) == []
