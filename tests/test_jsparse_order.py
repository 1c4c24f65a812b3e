"""The JavaScript reader answers the same for the same code: captures come in source order.

py-tree-sitter returns a query's captures in an order of its own (not the source's, and not
always the same from one process to the next); the readers keep the first binding of a name,
so without a defined order what a code "reads" could change between two runs of one scan."""

from __future__ import annotations

from pytest_nocode.platforms import jsparse

CODE = "\n".join(f"let v{i} = msg.payload.k{i}; v{i} = msg.topic; msg.o{i} = v{i};"
                 for i in range(40))


def test_each_capture_lists_its_nodes_in_source_order() -> None:
    found = jsparse.captures(jsparse._READ_NODES, jsparse.code_root(CODE))
    assert found, "the read query captured nothing"
    for name, nodes in found.items():
        starts = [n.start_byte for n in nodes]
        assert starts == sorted(starts), name


def test_the_first_binding_of_a_name_is_the_one_read() -> None:
    code = "let v = msg.payload.first; v = msg.payload.second; msg.out = v.deep;"
    reads = jsparse.paths_read(code, "msg.payload")
    assert reads == jsparse.paths_read(code, "msg.payload")
    assert any(p.startswith("msg.payload.first") for p in reads), reads
