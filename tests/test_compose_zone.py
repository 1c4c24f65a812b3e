"""The compose stack beside a file export is the app's same-host trust zone.

A repository that keeps its Node-RED flows in ``node-red-data/`` often keeps, one folder up, the
``docker-compose.yml`` that runs Node-RED beside its back end on a bridge network of its own,
with a subnet and static addresses that are neither Docker's default pools nor RFC 1918
(``172.100.10.0/24`` here). Cleartext to those addresses stays on the host's bridge. Each test
lays out such a repository in our own words, loads the flows through the real file adapter and
runs ENC001 on it, both directions: the stack that runs the app places its hosts, a compose file
that does not run it, or one too far up, or a policy that says otherwise, does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec
from pytest_nocode.compose import MAX_LEVELS, compose_files_above, compose_zone_of, own_hosts
from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.model import App
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.policy import load_policy
from tests.checkrun import findings_of, one, policy
from tests.rules import ENC001

ADAPTER = NodeRedPlatform()
BACKEND = "172.100.10.21"  # outside RFC 1918 and Docker's pools: the internet by number alone

STACK = """\
services:
  nodered:
    image: nodered/node-red:3.1
    volumes:
      - ./node-red-data:/data
    networks:
      gym-net:
        ipv4_address: 172.100.10.5
  scorer:
    build: ./scorer
    container_name: gym_scorer
    networks:
      gym-net:
        ipv4_address: 172.100.10.21
        aliases: [scores.gym.example]
networks:
  gym-net:
    driver: bridge
    ipam:
      config:
        - subnet: 172.100.10.0/24
"""

# the same back end, but the compose file runs only a database: Node-RED is not on its network
DB_ONLY = """\
services:
  db:
    image: postgres:16
    volumes:
      - ./pgdata:/var/lib/postgresql/data
networks:
  default:
    ipam:
      config:
        - subnet: 172.100.10.0/24
"""


def flows_to(url: str) -> list[dict[str, Any]]:
    """A timer posting a reading in cleartext to ``url``."""
    return [
        {"id": "t1", "type": "tab", "label": "Workouts"},
        {"id": "tick", "type": "inject", "z": "t1", "x": 100, "y": 80, "wires": [["post"]],
         "repeat": "60", "payload": "", "payloadType": "date"},
        {"id": "post", "type": "http request", "z": "t1", "name": "to scorer", "method": "POST",
         "ret": "txt", "paytoqs": "ignore", "url": url, "tls": "", "persist": False,
         "proxy": "", "authType": "", "senderr": False, "headers": [], "x": 300, "y": 80,
         "wires": [[]]},
    ]


def repo(root: Path, compose: str | None, *, name: str = "docker-compose.yml",
         url: str = f"http://{BACKEND}:5001/score") -> Path:
    """``root/<name>`` (when given) and ``root/node-red-data/flows.json``; the flows' path."""
    (root / "node-red-data").mkdir(parents=True, exist_ok=True)
    if compose is not None:
        (root / name).write_text(compose, encoding="utf-8")
    flows = root / "node-red-data" / "flows.json"
    flows.write_text(json.dumps(flows_to(url)), encoding="utf-8")
    return flows


def load(path: Path) -> App:
    spec = AppSpec(f"nodered+file:{path}", "nodered", "file", str(path), "nodered-flows")
    return ADAPTER.normalize(spec, RawSnapshot("nodered", ADAPTER.load_file(path), "file"))


# -- ENC001 through the file adapter --------------------------------------------------------------
@pytest.mark.parametrize("host", [BACKEND, "scores.gym.example", "gym_scorer"])
def test_cleartext_to_the_stack_that_runs_the_app_stays_on_its_bridge(
        tmp_path: Path, host: str) -> None:
    app = load(repo(tmp_path, STACK, url=f"http://{host}:5001/score"))
    assert findings_of(ENC001, app) == []
    assert "../docker-compose.yml" in app.notes["compose network"]


def test_without_the_compose_file_the_same_address_is_remote(tmp_path: Path) -> None:
    f = one(findings_of(ENC001, load(repo(tmp_path, None))))
    assert f.evidence["zone"] == "internet"


def test_a_compose_file_that_does_not_run_the_app_places_nothing(tmp_path: Path) -> None:
    app = load(repo(tmp_path, DB_ONLY))
    assert one(findings_of(ENC001, app)).evidence["zone"] == "internet"
    assert app.compose_hosts == ()
    assert "no service of it runs the app" in app.notes["compose files passed over"]


def test_a_bind_mount_of_the_flows_folder_is_enough_to_run_the_app(tmp_path: Path) -> None:
    custom = STACK.replace("image: nodered/node-red:3.1", "build: ./automation").replace(
        "  nodered:", "  automation:")
    assert findings_of(ENC001, load(repo(tmp_path, custom))) == []


def test_a_variant_compose_file_is_read_too(tmp_path: Path) -> None:
    assert findings_of(ENC001, load(repo(tmp_path, STACK, name="compose.prod.yaml"))) == []


@pytest.mark.parametrize(("text", "zone"), [
    ("version: 1\ntrust_zones:\n  host:\n    compose: false\n", "internet"),
    ("version: 1\ntrust_zones:\n  internet:\n    hosts: ['172.100.10.0/24']\n", "internet"),
])
def test_the_policy_decides_before_the_compose_file(tmp_path: Path, text: str,
                                                    zone: str) -> None:
    f = one(findings_of(ENC001, load(repo(tmp_path, STACK)), policy(text)))
    assert f.evidence["zone"] == zone


def test_a_policy_compose_setting_must_be_a_boolean() -> None:
    with pytest.raises(InputError, match=r"trust_zones\.host\.compose: expected boolean"):
        policy("version: 1\ntrust_zones:\n  host:\n    compose: sometimes\n")
    assert load_policy(None).compose_zone is True


def test_the_compose_hosts_are_part_of_the_checked_configuration(tmp_path: Path) -> None:
    with_stack, without = load(repo(tmp_path / "a", STACK)), load(repo(tmp_path / "b", None))
    assert with_stack.sha256() != without.sha256()
    assert "172.100.10.0/24" in with_stack.to_dict()["compose_hosts"]


def test_a_malformed_compose_entry_in_a_snapshot_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"flows": flows_to("http://x:1/"), "compose": {"hosts": 3}}),
                    encoding="utf-8")
    with pytest.raises(SchemaError, match=r"\$\.compose\.hosts"):
        load(path)


# -- the bounded search ---------------------------------------------------------------------------
def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(STACK, encoding="utf-8")  # above the repo
    flows = repo(tmp_path / "project", None)
    (tmp_path / "project" / ".git").mkdir()
    assert compose_files_above(flows) == []
    (tmp_path / "project" / ".git").rmdir()
    (tmp_path / ".git").mkdir()  # now the root is one folder further up
    assert compose_files_above(flows) == [tmp_path / "docker-compose.yml"]


def test_the_search_looks_a_fixed_number_of_folders_up(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(f"d{n}" for n in range(MAX_LEVELS)))
    (tmp_path / "docker-compose.yml").write_text(STACK, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    flows = repo(deep, None)  # node-red-data/ is one more level down
    assert compose_files_above(flows) == []
    assert compose_files_above(tmp_path / "d0" / "x.json") == [tmp_path / "docker-compose.yml"]


@pytest.mark.parametrize("text", ["services: [a, b\n", "just: text\n", "- a\n- b\n"])
def test_a_file_that_is_not_compose_is_passed_over_not_an_error(tmp_path: Path,
                                                                 text: str) -> None:
    zone = compose_zone_of(repo(tmp_path, text), "nodered")
    assert zone is not None and zone.hosts == ()
    assert zone.ignored == ("../docker-compose.yml: not a compose file",)


def test_a_subnet_wider_than_any_compose_network_is_not_taken() -> None:
    data = {"services": {"nodered": {"image": "nodered/node-red"}},
            "networks": {"wide": {"ipam": {"config": [{"subnet": "0.0.0.0/1"}]}},
                         "fine": {"ipam": {"config": [{"subnet": "10.9.0.0/16"}]}}}}
    assert own_hosts(data) == ["nodered", "10.9.0.0/16"]


def test_placeholder_names_are_not_hosts() -> None:
    data = {"services": {"nodered": {"image": "nodered/node-red",
                                     "hostname": "${NODE_HOST}",
                                     "networks": {"n": {"ipv4_address": "${IP}"}}}}}
    assert own_hosts(data) == ["nodered"]


def test_a_compose_folder_beside_the_flows_counts_when_it_mounts_them(tmp_path: Path) -> None:
    """``deploy/docker-compose.yml`` next to ``node-red-data/``, mounting ``../node-red-data``."""
    flows = repo(tmp_path, None)
    (tmp_path / "deploy").mkdir()
    mounted = STACK.replace("./node-red-data:/data", "../node-red-data:/data")
    (tmp_path / "deploy" / "docker-compose.yml").write_text(mounted, encoding="utf-8")
    assert findings_of(ENC001, load(flows)) == []


def test_a_compose_folder_beside_the_flows_needs_the_mount_not_just_the_image(
        tmp_path: Path) -> None:
    """The same stack one folder over, mounting some other folder: it may run other flows."""
    flows = repo(tmp_path, None)
    (tmp_path / "deploy").mkdir()
    other = STACK.replace("./node-red-data:/data", "./demo-flows:/data")
    (tmp_path / "deploy" / "docker-compose.yml").write_text(other, encoding="utf-8")
    app = load(flows)
    assert one(findings_of(ENC001, app)).evidence["zone"] == "internet"
    assert app.compose_hosts == ()


# -- n8n: the same stack, a workflow export beside it ---------------------------------------------
N8N_STACK = STACK.replace("nodered:\n    image: nodered/node-red:3.1",
                          "n8n:\n    image: n8nio/n8n:1.94.1")


def n8n_workflow(url: str) -> dict[str, Any]:
    """A schedule posting to ``url`` in cleartext."""
    return {"id": "wf1", "name": "Score sync", "active": True, "nodes": [
        {"id": "n1", "name": "Every minute", "type": "n8n-nodes-base.scheduleTrigger",
         "typeVersion": 1, "position": [0, 0], "parameters": {}},
        {"id": "n2", "name": "Post score", "type": "n8n-nodes-base.httpRequest",
         "typeVersion": 4, "position": [200, 0],
         "parameters": {"method": "POST", "url": url, "sendBody": True}},
    ], "connections": {"Every minute": {"main": [[{"node": "Post score", "type": "main",
                                                    "index": 0}]]}}}


@pytest.mark.parametrize(("compose", "reported"), [(N8N_STACK, False), (None, True)])
def test_an_n8n_export_beside_its_stack_gets_the_same_zone(tmp_path: Path, compose: str | None,
                                                           reported: bool) -> None:
    from pytest_nocode.loading import load_app
    from pytest_nocode.platforms import PlatformRegistry
    from pytest_nocode.platforms.builtin import builtin_platforms
    from pytest_nocode.transport import RecordingOptions

    (tmp_path / ".git").mkdir()
    if compose is not None:
        (tmp_path / "docker-compose.yml").write_text(compose, encoding="utf-8")
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "score.json").write_text(json.dumps(n8n_workflow(f"http://{BACKEND}:5001/s")),
                                       encoding="utf-8")
    registry = PlatformRegistry(builtin_platforms())
    for target in (folder, folder / "score.json"):
        spec = AppSpec(f"n8n+file:{target}", "n8n", "file", str(target), "n8n-workflows")
        app = load_app(spec, registry, RecordingOptions(None, tmp_path)).app
        assert bool(findings_of(ENC001, app)) is reported, target
