"""A request to a fixed host that hands a whole URL in a query parameter naming one (a fetch
proxy's ``?url=``, a downloader's ``pdf_url``): the service behind it fetches what it is given,
so a caller's address makes it fetch any server (INJ001, server-side request forgery through
that service). A value of another name (a search term), an address a service returned and a
request whose whole URL is the caller's (reported as plain SSRF) are the look-alikes.
Distilled in our own words from document converters that download through their own site."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import FETCH_RELAYED_URL
from tests.checkrun import findings_of, one
from tests.rules import INJ001
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow


def _download(url: str, query: dict[str, str] | None = None,
              first: dict[str, Any] | None = None) -> Any:
    params: dict[str, Any] = {"url": url, "options": {}}
    if query is not None:
        params.update(sendQuery=True, queryParameters={"parameters": [
            {"name": k, "value": v} for k, v in query.items()]})
    fetch = n8n_node("Download PDF", "httpRequest", params, version=4.2)
    nodes = [webhook(path="convert", method="POST"), *([first] if first else []), fetch]
    return app_of(workflow("Convert", nodes, chain(*(n["name"] for n in nodes))))


RELAYED = {
    "listed query parameter": ("https://docs.acme.io/fetch.php", {"url": "={{ $json.body.pdf }}"}),
    "named like one": ("https://docs.acme.io/fetch.php", {"file_url": "={{ $json.body.pdf }}"}),
    "typed into the URL": ("=https://docs.acme.io/fetch.php?src={{ $json.body.pdf }}", None),
}


@pytest.mark.parametrize("url, query", RELAYED.values(), ids=RELAYED.keys())
def test_a_callers_url_handed_to_a_fetching_service(url: str, query: dict[str, str] | None
                                                    ) -> None:
    f = one(findings_of(INJ001, _download(url, query)))
    assert f.resource.id == uid("Download PDF")
    assert f.evidence["parameter"] == FETCH_RELAYED_URL


def test_another_parameter_or_a_services_address_is_not_relayed() -> None:
    search = _download("https://docs.acme.io/search", {"q": "={{ $json.body.pdf }}"})
    assert findings_of(INJ001, search) == []
    listing = n8n_node("List files", "httpRequest", {"url": "https://files.acme.io/latest",
                                                      "options": {}}, version=4.2)
    returned = _download("https://docs.acme.io/fetch.php", {"url": "={{ $json.link }}"},
                         first=listing)
    assert findings_of(INJ001, returned) == []


def test_a_whole_url_given_is_plain_ssrf_not_a_relay() -> None:
    f = one(findings_of(INJ001, _download("={{ $json.body.pdf }}")))
    assert f.evidence["parameter"] != FETCH_RELAYED_URL
