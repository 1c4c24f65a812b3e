"""Which npm module provides a Node-RED node type, for exports that do not say.

A ``flows.json`` names node types but not their modules; only the export dialog's
``global-config`` node lists the modules in use (with versions, not their types), and only a
live ``GET /nodes`` maps every type to its module. This table fills the gap for widely used
modules: the types each registers (``RED.nodes.registerType``), read from the published
package versions named in the comment. It is data: add a module as one entry.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Mapping

# module → node types it registers (node-red-dashboard 3.6.6, @flowfuse/node-red-dashboard
# 1.31.0, node-red-contrib-home-assistant-websocket 0.80.3, node-red-contrib-telegrambot 17.0.6,
# node-red-contrib-uibuilder 7.7.4; the others as published in 2026)
KNOWN_MODULE_TYPES: Mapping[str, tuple[str, ...]] = {
    "@flowfuse/node-red-dashboard": (
        "ui-audio", "ui-base", "ui-button", "ui-button-group", "ui-chart", "ui-control",
        "ui-dropdown", "ui-event", "ui-file-input", "ui-form", "ui-gauge", "ui-group", "ui-link",
        "ui-markdown", "ui-notification", "ui-number-input", "ui-page", "ui-progress",
        "ui-radio-group", "ui-slider", "ui-spacer", "ui-switch", "ui-table", "ui-template",
        "ui-text", "ui-text-input", "ui-theme",
    ),
    "node-red-contrib-cron-plus": ("cronplus",),
    "node-red-contrib-home-assistant-websocket": (
        "api-call-service", "api-current-state", "api-get-history", "api-render-template",
        "ha-api", "ha-binary-sensor", "ha-button", "ha-device", "ha-device-config", "ha-entity",
        "ha-entity-config", "ha-events-calendar", "ha-fire-event", "ha-get-entities", "ha-number",
        "ha-select", "ha-sensor", "ha-sentence", "ha-switch", "ha-tag", "ha-text", "ha-time",
        "ha-time-entity", "ha-update-config", "ha-wait-until", "ha-webhook", "ha-zone",
        "poll-state", "server", "server-events", "server-state-changed", "trigger-state",
    ),
    "node-red-contrib-influxdb": ("influxdb", "influxdb batch", "influxdb in", "influxdb out"),
    "node-red-contrib-modbus": (
        "modbus-client", "modbus-flex-connector", "modbus-flex-fc", "modbus-flex-getter",
        "modbus-flex-sequencer", "modbus-flex-write", "modbus-getter", "modbus-io-config",
        "modbus-queue-info", "modbus-read", "modbus-response", "modbus-response-filter",
        "modbus-server", "modbus-write",
    ),
    "node-red-contrib-s7": ("s7 control", "s7 endpoint", "s7 in", "s7 out"),
    "node-red-contrib-telegrambot": (
        "telegram bot", "telegram command", "telegram control", "telegram event",
        "telegram receiver", "telegram reply", "telegram sender",
    ),
    "node-red-contrib-uibuilder": (
        "markweb", "uib-cache", "uib-element", "uib-file-list", "uib-html", "uib-save",
        "uib-sender", "uib-sidebar", "uib-tag", "uib-update", "uibuilder",
    ),
    "node-red-contrib-web-worldmap": (
        "ui_worldmap", "worldmap", "worldmap in", "worldmap-hull", "worldmap-tracks",
    ),
    "node-red-dashboard": (
        "ui_audio", "ui_base", "ui_button", "ui_chart", "ui_colour_picker", "ui_date_picker",
        "ui_dropdown", "ui_form", "ui_gauge", "ui_group", "ui_link", "ui_numeric", "ui_slider",
        "ui_spacer", "ui_switch", "ui_tab", "ui_template", "ui_text", "ui_text_input", "ui_toast",
        "ui_ui_control",
    ),
    "node-red-node-base64": ("base64",),
    "node-red-node-email": ("e-mail", "e-mail in", "e-mail mta"),
    "node-red-node-mysql": ("MySQLdatabase", "mysql"),
    "node-red-node-pi-gpio": ("rpi-gpio in", "rpi-gpio out", "rpi-keyboard", "rpi-mouse"),
    "node-red-node-ping": ("ping",),
    "node-red-node-random": ("random",),
    "node-red-node-serialport": (
        "serial control", "serial in", "serial out", "serial request", "serial-port",
    ),
    "node-red-node-smooth": ("smooth",),
    "node-red-node-sqlite": ("sqlite", "sqlitedb"),
    "node-red-node-suncalc": ("sunrise",),
    "node-red-node-tail": ("tail",),
    "node-red-node-ui-table": ("ui_table",),
}

MODULE_OF_KNOWN_TYPE: Mapping[str, str] = {
    ntype: module for module, types in KNOWN_MODULE_TYPES.items() for ntype in types
}
