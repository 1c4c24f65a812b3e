"""Secrets a URL carries by its shape, distilled in our own words from real flows, with the
look-alikes: a device API URL whose path is the device's access token (ThingsBoard's HTTP
device API), and a weather API key in the query (OpenWeather's ``appid``)."""

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


@pytest.mark.parametrize(("query", "found"), [
    ("id=2643743&appid=5f2c8e91b7d04a6e9c3f1a2b8d7e6c40", ["5f2c8e91b7d04a6e9c3f1a2b8d7e6c40"]),
    ("id=2643743&appid=YOUR_API_KEY", []),
    ("id=2643743&units=metric", []),
])
def test_weather_api_key_in_the_query(query: str, found: list[str]) -> None:
    url = f"https://api.openweathermap.org/data/2.5/weather?{query}"
    assert _values(nodered("http request", url=url, method="GET")) == found


@pytest.mark.parametrize(("url", "found"), [
    # no scheme (Node-RED adds http://), mustache fields from the message beside the key
    ("api.weather.example.org/data/2.5/forecast?lat={{{topic.lat}}}&lon={{{topic.lon}}}"
     "&appid=9d4e1c7a2b8f3e6d5c0a1b2c3d4e5f60&units=metric",
     ["9d4e1c7a2b8f3e6d5c0a1b2c3d4e5f60"]),
    ("api.weather.example.org/data/2.5/forecast?lat={{{topic.lat}}}&appid={{{topic.key}}}", []),
    ("see the docs at api.weather.example.org/data?appid=9d4e1c7a2b8f3e6d5c0a1b2c3d4e5f60", []),
])
def test_key_in_a_url_without_its_scheme(url: str, found: list[str]) -> None:
    """A whole value that is a URL without its scheme is read as a URL; words around a
    look-alike make it prose (not a URL the node calls)."""
    assert _values(nodered("http request", url=url, method="GET")) == found
