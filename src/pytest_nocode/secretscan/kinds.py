"""What a hit is called: the kinds the scanner reports, and which of them are critical.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CRITICAL_KINDS", "KIND_BASIC", "KIND_BEARER", "KIND_CLI", "KIND_CLI_HEADER",
           "KIND_KEYWORD", "KIND_URL_PASSWORD", "KIND_URL_QUERY", "KIND_URL_TOKEN", "KIND_WEBHOOK",
           "URL_KINDS", "rank"]

KIND_KEYWORD = "Secret keyword"
KIND_URL_PASSWORD = "Password in URL"
KIND_URL_TOKEN = "Token in URL"
KIND_URL_QUERY = "Secret in URL query"
KIND_BEARER = "Bearer token"
KIND_BASIC = "Basic auth header"
KIND_WEBHOOK = "Webhook URL with token"
KIND_CLI = "Password on command line"
KIND_CLI_HEADER = "Token in command-line header"  # curl -H 'X-Auth-Token: …'
# kinds the URL rule reports, at "<field> (user info)" or "<field> (query <name>)"
URL_KINDS = frozenset({KIND_URL_PASSWORD, KIND_URL_TOKEN, KIND_URL_QUERY})

# Keys that reach cloud accounts, sign as the owner, move money or publish code: a leak is an
# incident, not a smell.
CRITICAL_KINDS = frozenset({
    "Private Key",
    "AWS Access Key",
    "Azure Storage Account access key",
    "IBM Cloud IAM Key",
    "IBM COS HMAC Credentials",
    "SoftLayer Credentials",
    "Stripe Access Key",
    "Square OAuth Secret",
    "GitHub Token",
    "GitLab Token",
    "PyPI Token",
})

# When one value at one place is found by several rules, the most specific name wins.
_KIND_RANK: Mapping[str, int] = {KIND_KEYWORD: 0, KIND_BEARER: 1, KIND_BASIC: 1, KIND_CLI: 1,
                                 KIND_CLI_HEADER: 1,
                                 KIND_URL_QUERY: 2, KIND_URL_TOKEN: 2, KIND_URL_PASSWORD: 2,
                                 KIND_WEBHOOK: 2}
_DETECTOR_RANK = 3


def rank(kind: str) -> int:
    """How specific a kind is: a token shape (detect-secrets' names) outranks every context
    rule, so one value found by several rules is named by the most specific."""
    return _KIND_RANK.get(kind, _DETECTOR_RANK)
