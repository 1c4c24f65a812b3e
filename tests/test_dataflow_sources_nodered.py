"""Node-RED messages written by strangers (chat receivers, an MQTT broker on the internet) and
OPC UA endpoints without message security. Distilled from real flows, in our own words, both
directions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import ENC001, INJ001, INJ002
from tests.test_checks_nodered import app_of, config, exec_node, nid, node, tab


def _mqtt_to_exec(broker: str) -> list[dict[str, Any]]:
    return [tab(), config("broker", "mqtt-broker", name="gate broker", broker=broker,
                          port="1883"),
            node("sub", "mqtt in", topic="gate/cmd", broker=nid("broker"), qos="0",
                 wires=[["run"]]),
            exec_node("run", "/opt/gate/relay.sh", "payload")]


def test_mqtt_in_from_an_internet_broker_is_untrusted() -> None:
    f = one(findings_of(INJ001, app_of(_mqtt_to_exec("broker.hivemq.com"))))
    assert f.resource.id == nid("run")
    assert f.evidence["source"] == "mqtt in gate/cmd from broker.hivemq.com"


@pytest.mark.parametrize("broker", ["mosquitto", "192.168.1.20", "localhost"])
def test_mqtt_in_from_the_own_broker_is_of_unknown_origin_not_untrusted(broker: str) -> None:
    app = app_of(_mqtt_to_exec(broker))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).resource.id == nid("run")


def _kafka_to_exec(host: str) -> list[dict[str, Any]]:
    return [tab(), config("kb", "Kafka Broker", name="events", usetls=False,
                          hosts=[{"host": host, "port": 9092}]),
            node("sub", "Kafka Consumer", name="sensorMotion", broker=nid("kb"),
                 topics=[{"topic": "home", "offset": 0, "partition": 0}], wires=[["run"]]),
            exec_node("run", "/opt/home/alarm.sh", "payload")]


def test_kafka_topic_on_an_internet_broker_is_untrusted() -> None:
    f = one(findings_of(INJ001, app_of(_kafka_to_exec("kafka.example-cloud.com"))))
    assert f.evidence["source"] == "Kafka topic of sensorMotion from kafka.example-cloud.com"


def test_kafka_topic_on_the_own_broker_is_of_unknown_origin_and_says_so() -> None:
    app = app_of(_kafka_to_exec("localhost"))
    assert findings_of(INJ001, app) == []
    f = one(findings_of(INJ002, app))
    assert "Kafka topic of sensorMotion from the loopback broker localhost" in f.message


def test_ibm_iot_device_events_are_untrusted() -> None:
    flows = [tab(), node("iot", "ibmiot in", name="IBM IoT", authentication="boundService",
                         deviceType="+", eventType="+", wires=[["run"]]),
             exec_node("run", "/opt/plant/valve.sh", "payload")]
    assert one(findings_of(INJ001, app_of(flows))).evidence["source"] == \
        "IBM Watson IoT device events"


@pytest.mark.parametrize(("ntype", "source"), [("chatbot-slack-receive", "Slack messages"),
                                               ("discordMessage", "Discord messages")])
def test_chat_receivers_are_untrusted(ntype: str, source: str) -> None:
    flows = [tab(), node("chat", ntype, wires=[["run"]]),
             exec_node("run", "/usr/local/bin/lookup", "payload")]
    assert one(findings_of(INJ001, app_of(flows))).evidence["source"] == source


def _opcua(endpoint: str, secpol: str, secmode: str, *, used: bool = True
           ) -> list[dict[str, Any]]:
    flows = [tab(), config("ep", "OpcUa-Endpoint", endpoint=endpoint, secpol=secpol,
                           secmode=secmode, none=True, login=False)]
    if used:
        flows.append(node("read", "OpcUa-Client", endpoint=nid("ep"), action="read",
                          securitymode=secmode, securitypolicy=secpol, wires=[[]]))
    return flows


def test_enc001_opcua_without_message_security_to_an_internet_server() -> None:
    f = one(findings_of(ENC001, app_of(_opcua("opc.tcp://plc.vendor-cloud.com:4840/UA",
                                              "None", "None"))))
    assert f.resource.id == nid("ep")
    assert (f.evidence["protocol"], f.evidence["host"], f.evidence["port"]) == (
        "opcua", "plc.vendor-cloud.com", 4840)
    assert f.message.startswith("OPC UA without TLS")


@pytest.mark.parametrize(("endpoint", "secpol", "secmode"), [
    ("opc.tcp://plc.vendor-cloud.com:4840/UA", "Basic256Sha256", "SignAndEncrypt"),
    ("opc.tcp://plc.vendor-cloud.com:4840/UA", "Basic256Sha256", "SIGNANDENCRYPT"),
    ("opc.tcp://host.docker.internal:4840/UA", "None", "None")],  # this host: not reported
    ids=["encrypted", "encrypted-legacy-name", "same-host"])
def test_enc001_opcua_encrypted_or_on_this_host_is_quiet(endpoint: str, secpol: str,
                                                         secmode: str) -> None:
    assert findings_of(ENC001, app_of(_opcua(endpoint, secpol, secmode))) == []


def test_enc001_opcua_sign_only_is_still_readable() -> None:
    found = findings_of(ENC001, app_of(_opcua("opc.tcp://plc.vendor-cloud.com:4840/UA",
                                              "Basic256Sha256", "Sign")))
    assert [f.resource.id for f in found] == [nid("ep")]


def test_enc001_unused_opcua_endpoint_is_quiet() -> None:
    flows = _opcua("opc.tcp://plc.vendor-cloud.com:4840/UA", "None", "None", used=False)
    assert findings_of(ENC001, app_of(flows)) == []
