"""Policies, waivers files and advisory tables are read with libyaml where PyYAML has it (the
built-in policy and advisory table are read in every run): the same data and the same lines
in messages as PyYAML's own parser, and PyYAML's own words for YAML that does not parse."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pytest_nocode import policy as policy_module
from pytest_nocode.errors import InputError
from pytest_nocode.policy import _node_at, load_policy_text, read_yaml

POLICY = """\
version: 1
waivers:
  - &first
    rule: AUTH001
    app: shop
    justification: behind the old gateway for the pilot
    owner: platform
    expires: "2099-01-01"
  - <<: *first
    rule: LOG002
    justification: errors go to the platform team's dashboard
"""


def _starts(node: yaml.Node, out: list[Any]) -> list[Any]:
    out.append((type(node).__name__, node.tag, node.start_mark.line, node.start_mark.column,
                node.value if isinstance(node, yaml.ScalarNode) else None))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _starts(key, out)
            _starts(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for value in node.value:
            _starts(value, out)
    return out


@pytest.fixture(params=["libyaml", "pyyaml"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pyyaml":  # as where PyYAML was built without libyaml
        monkeypatch.setattr(policy_module, "_FAST_LOADER", yaml.SafeLoader)
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.fail("PyYAML without libyaml: the fast path is not tested")
    return str(request.param)


def test_the_data_and_the_lines_are_pyyamls_own(loader: str) -> None:
    node, data = read_yaml(POLICY, "policy.yaml")
    assert data == yaml.safe_load(POLICY)
    assert data["waivers"][1]["owner"] == "platform"  # the merge key, merged in the data
    assert node is not None
    assert _starts(node, []) == _starts(yaml.compose(POLICY, Loader=yaml.SafeLoader), [])
    # the tree is not flattened by building the data: the merge key is still in it
    second = _node_at(node, ["waivers", 1])
    assert [key.value for key, _ in second.value] == ["<<", "rule", "justification"]
    assert _node_at(node, ["waivers", 0, "owner"]).start_mark.line == 6
    lines = [w.source for w in load_policy_text(POLICY, "policy.yaml").waivers]
    assert lines == ["policy.yaml:3", "policy.yaml:9"]


def test_empty_text_is_no_data(loader: str) -> None:
    assert read_yaml("", "policy.yaml") == (None, None)
    assert read_yaml("# only a comment\n", "policy.yaml") == (None, None)


@pytest.mark.parametrize("text", ["version: 1\nhosts: [\n", "a: 1\n b: 2\n", "- a\nb: 1\n",
                                  "a: 1\n---\nb: 2\n", "key: \"unclosed\n"])
def test_bad_yaml_is_told_in_pyyamls_words(loader: str, text: str) -> None:
    with pytest.raises(yaml.YAMLError) as own:
        yaml.compose(text, Loader=yaml.SafeLoader)
    mark = getattr(own.value, "problem_mark", None)
    where = f"policy.yaml:{mark.line + 1}" if mark else "policy.yaml"
    problem = getattr(own.value, "problem", None) or str(own.value)
    with pytest.raises(InputError) as told:
        read_yaml(text, "policy.yaml")
    assert str(told.value) == f"{where}: invalid YAML: {problem}"
