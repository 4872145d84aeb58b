"""builder.edit: canvas actions on a design, with undo/redo; refused actions change nothing."""

from builder import validate
from builder.edit import Editor, blank, check_connect
from builder.templates import load_template


def test_add_connect_and_validate():
    ed = Editor(blank())
    assert ed.apply({"action": "add", "type": "Flatten", "position": {"x": 10.4, "y": 20}}) is None
    assert ed.selected == "flatten1" and ed.design.node("flatten1").position == {"x": 10, "y": 20}
    assert ed.apply({"action": "connect", "source": "x", "target": "flatten1"}) is None
    assert ed.apply({"action": "connect", "source": "flatten1", "target": "out"}) is None
    assert validate(ed.design).valid


def test_impossible_edits_are_refused_and_change_nothing():
    ed = Editor(load_template("lenet5"))
    before = ed.design.to_dict()
    assert "would close a cycle" in ed.apply(
        {"action": "connect", "source": "fc3", "target": "conv1", "target_port": 1}
    )
    assert "takes no inputs" in ed.apply({"action": "connect", "source": "conv1", "target": "x"})
    assert "already connected from 'x'" in ed.apply({"action": "connect", "source": "x", "target": "conv1"})
    assert "unknown layer type" in ed.apply({"action": "add", "type": "Conv9d"})
    assert "taken by another node" in ed.apply({"action": "rename", "id": "conv1", "new_id": "conv2"})
    assert ed.design.to_dict() == before and not ed.undo_stack
    assert (
        check_connect(ed.design, "fc3", "logits", 0)
        == "port 0 of 'logits' is already connected from 'fc3': delete that edge first"
    )


def test_delete_rename_params_move_paste_and_undo_redo():
    ed = Editor(load_template("lenet5"))
    ed.apply({"action": "set_params", "id": "conv1", "params": {"out_channels": 8, "kernel_size": 5, "padding": 2}})
    assert validate(ed.design).nodes["conv1"].shape == (8, 28, 28)
    ed.apply({"action": "rename", "id": "conv1", "new_id": "first_conv"})
    assert any(e.source == "first_conv" for e in ed.design.edges) and ed.selected is None
    ed.apply({"action": "move", "positions": {"first_conv": {"x": 5, "y": 6}}})
    assert ed.design.node("first_conv").position == {"x": 5, "y": 6}
    ed.apply({"action": "paste", "nodes": ["act1", "pool1"]})
    assert {"tanh1", "avgpool2d1"} <= {n.id for n in ed.design.nodes}
    assert any(e.source == "tanh1" and e.target == "avgpool2d1" for e in ed.design.edges)
    ed.apply({"action": "delete", "nodes": ["fc1"], "edges": [{"source": "x", "target": "first_conv"}]})
    assert "fc1" not in {n.id for n in ed.design.nodes} and not any(e.target == "first_conv" for e in ed.design.edges)
    for _ in range(5):
        assert ed.apply({"action": "undo"}) is None
    assert ed.design.to_dict() == load_template("lenet5").to_dict()
    assert ed.apply({"action": "undo"}) == "nothing to undo"
    ed.apply({"action": "redo"})
    assert validate(ed.design).nodes["conv1"].shape == (8, 28, 28)
    ed.apply({"action": "add", "type": "ReLU"})
    assert ed.apply({"action": "redo"}) == "nothing to redo"  # a new edit clears the redo stack


def two_output_design():
    from builder.design import from_dict

    return from_dict({"version": 2, "name": "split", "blocks": {"Split": {"nodes": [
        {"id": "x", "type": "Input"}, {"id": "l4", "type": "Linear", "params": {"out_features": 4}},
        {"id": "l6", "type": "Linear", "params": {"out_features": 6}},
        {"id": "a", "type": "Output"}, {"id": "b", "type": "Output"}],
        "edges": [{"source": "x", "target": "l4"}, {"source": "x", "target": "l6"}, {"source": "l4", "target": "a"},
                  {"source": "l6", "target": "b"}]}},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [8]}}, {"id": "s", "type": "Split"},
                  {"id": "r1", "type": "ReLU"}, {"id": "r2", "type": "ReLU"}, {"id": "cat", "type": "Concat"},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": "x", "target": "s"}, {"source": "s", "target": "r1"}, {"source": "r1", "target": "cat"},
                  {"source": "r2", "target": "cat", "target_port": 1}, {"source": "cat", "target": "out"}]})  # fmt: skip


def test_a_connection_from_the_second_output_of_a_block_instance():
    from ui.canvas import node_report, palette

    ed = Editor(two_output_design())
    assert "output port 2 does not exist" in ed.apply({"action": "connect", "source": "s", "target": "r2",
                                                       "source_port": 2})  # fmt: skip
    assert "'s' has 2 outputs (a, b)" in ed.apply(
        {"action": "connect", "source": "s", "target": "r2", "source_port": 2}
    )
    assert "'x' has 1 output: output port 1" in ed.apply({"action": "connect", "source": "x", "target": "r2",
                                                          "source_port": 1})  # fmt: skip
    assert ed.apply({"action": "connect", "source": "s", "target": "r2", "source_port": 1}) is None
    assert any(e.source == "s" and e.target == "r2" and e.source_port == 1 for e in ed.design.edges)
    report = validate(ed.design)
    assert report.valid, report.issues
    assert report.nodes["r2"].shape == (6,) and report.nodes["cat"].shape == (10,)
    shown = node_report(report, ed.design)
    assert shown["s"]["shapes"] == [[4], [6]]  # each port's shape, for the edges the canvas draws from it
    assert "shapes" not in shown["r1"]
    item = next(i for i in palette(ed.design.blocks) if i["type"] == "Split")
    assert item["outputs"] == ["a", "b"]
