"""ENC001 on plain-TCP protocol config nodes seen in real Node-RED flows, in our own words:
a Modbus TCP client and an AMQP broker config on an internet address are cleartext links, the
same configs on the LAN, over TLS, on a serial line or unused are not reported as remote."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one
from tests.rules import ENC001
from tests.test_checks_nodered import app_of, config, nid, node, tab


def _plc(host: str, clienttype: str = "tcp") -> list[dict[str, Any]]:
    """A pump controller polled over Modbus through a client config node."""
    return [tab(), config("plc", "modbus-client", name="pumps", clienttype=clienttype,
                          tcpHost=host, tcpPort="5020", tcpType="DEFAULT",
                          serialPort="/dev/ttyUSB0", unit_id=3),
            node("poll", "modbus-read", name="pressures", server=nid("plc"), adr="40",
                 quantity="4", rate="5", rateUnit="s", dataType="HoldingRegister")]


def test_modbus_tcp_to_an_internet_address_is_cleartext() -> None:
    f = one(findings_of(ENC001, app_of(_plc("52.14.30.9"))))
    assert f.resource.id == nid("plc")
    assert f.severity is Severity.HIGH
    assert f.message.startswith("Modbus TCP without TLS to 52.14.30.9:5020")


@pytest.mark.parametrize(("host", "clienttype", "severity"), [
    ("192.168.20.4", "tcp", Severity.LOW),  # the plant LAN: said, at low severity
    ("127.0.0.1", "tcp", None),  # this machine
    ("52.14.30.9", "serial", None),  # a serial line: tcpHost is a leftover default
])
def test_modbus_on_the_lan_or_serial_is_not_remote(host: str, clienttype: str,
                                                   severity: Severity | None) -> None:
    found = findings_of(ENC001, app_of(_plc(host, clienttype)))
    assert [f.severity for f in found] == ([severity] if severity else [])


def _rabbit(tls: Any, *, used: bool = True) -> list[dict[str, Any]]:
    flows = [tab(), config("mq", "amqp-broker", name="RabbitMQ", host="52.14.30.10",
                           port="5672", vhost="", tls=tls, credsFromSettings=False)]
    if used:
        flows.append(node("pub", "amqp-out", broker=nid("mq"), exchangeName="readings",
                          exchangeType="topic", exchangeRoutingKey="sensor/temp"))
    return flows


def test_amqp_broker_on_an_internet_address_without_tls_is_cleartext() -> None:
    f = one(findings_of(ENC001, app_of(_rabbit(False))))
    assert f.message.startswith("AMQP without TLS to 52.14.30.10:5672")


@pytest.mark.parametrize(("tls", "used"), [(True, True), (nid("tls"), True), (False, False)])
def test_amqp_over_tls_or_unused_is_quiet(tls: Any, used: bool) -> None:
    assert findings_of(ENC001, app_of(_rabbit(tls, used=used))) == []
