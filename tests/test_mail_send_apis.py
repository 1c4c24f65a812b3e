"""One list of mail providers' send endpoints serves EXP001 (a mail to the person the data is
about) and the n8n mail-HTML sink: both ask :func:`is_mail_send_api`."""

from __future__ import annotations

import pytest

from pytest_nocode.model import is_mail_send_api


@pytest.mark.parametrize("host, path", [
    ("api.brevo.com", "/v3/smtp/email"),
    ("API.SendGrid.com", "/v3/mail/send"),
    ("api.mailgun.net", "/v3/mg.example.org/messages"),
    ("api.eu.mailgun.net", "/v3/mg.example.org/messages/"),
    ("api.resend.com", "/emails"),
    ("api.postmarkapp.com", "/email"),
])
def test_a_providers_send_path_is_one_mail(host: str, path: str) -> None:
    assert is_mail_send_api(host, path)


@pytest.mark.parametrize("host, path", [
    ("api.brevo.com", "/v3/contacts"),              # a contacts import copies the record
    ("api.mailgun.net", "/v3/mg.example.org/events"),
    ("api.mailgun.net", "/messages"),               # no domain: not Mailgun's send path
    ("api.sendgrid.com", "/v3/marketing/contacts"),
    ("mail.example.org", "/v3/smtp/email"),         # the path on another host
])
def test_other_paths_and_hosts_are_not(host: str, path: str) -> None:
    assert not is_mail_send_api(host, path)
