"""Design file format v1: round trips, JSON-path errors, multi-network files, preserved sections."""

import json

import pytest

from builder import Design, DesignFormatError, Edge, Node, load_design, save_design, validate
from builder.design import dumps, from_dict, loads
from builder.templates import load_template

LENET = {
    "version": 1, "name": "lenet5",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 28, 28]}, "position": {"x": 0, "y": 0}},
              {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5, "padding": 2}},
              {"id": "out", "type": "Output"}],
    "edges": [{"source": "x", "target": "conv1"}, {"source": "conv1", "target": "out"}],
}  # fmt: skip


def test_the_issue_example_loads_and_validates():
    d = load_design(LENET)
    assert d.node("x").position == {"x": 0, "y": 0}
    assert validate(d).nodes["conv1"].shape == (6, 28, 28)


def test_save_then_load_returns_an_equal_design(tmp_path):
    d = load_template("vae")
    d.training = {"dataset": "digits28", "optimizer": {"name": "Adam", "lr": 1e-3}}
    d.metadata["author"] = "Ada ✓"
    save_design(d, tmp_path / "vae.json")
    again = load_design(tmp_path / "vae.json")
    assert again == d
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temp file


def test_lists_stay_lists_and_ports_round_trip():
    raw = {"version": 1, "name": "p", "nodes": [{"id": "a", "type": "Conv2d", "params": {"kernel_size": [3, 5]}}],
           "edges": [{"source": "a", "target": "b", "target_port": 1}]}  # fmt: skip
    d = load_design(raw)
    assert d.nodes[0].params["kernel_size"] == [3, 5]
    assert d.edges[0] == Edge("a", "b", 1, 0)
    assert d.to_dict()["edges"] == raw["edges"]


def test_design_graph_is_networkx():
    g = load_design(LENET).graph()
    assert set(g.nodes) == {"x", "conv1", "out"}
    assert g.nodes["conv1"]["type"] == "Conv2d"
    assert list(g.successors("x")) == ["conv1"]


@pytest.mark.parametrize("raw,path,words", [
    ("[1, 2]", "$", "a design must be an object"),
    ('{"version": 3, "nodes": []}', "$.version", "unsupported format version 3"),
    ('{"nodes": []}', "$.version", "unsupported format version null"),
    ('{"version": 1, "nodes": {}}', "$.nodes", "nodes must be a list"),
    ('{"version": 1, "nodes": [{"id": "a"}]}', "$.nodes[0]", "needs 'type'"),
    ('{"version": 1, "nodes": [{"id": "a", "type": "ReLU"}, {"id": 7, "type": "ReLU"}]}', "$.nodes[1].id", "string"),
    ('{"version": 1, "nodes": [{"id": "a", "type": "ReLU", "params": [1]}]}', "$.nodes[0].params", "object"),
    ('{"version": 1, "nodes": [{"id": "a", "type": "ReLU", "param": {}}]}', "$.nodes[0].param", "unknown key"),
    ('{"version": 1, "nodes": [{"id": "a", "type": "ReLU", "position": {"x": "1", "y": 0}}]}',
     "$.nodes[0].position.x", "number"),
    ('{"version": 1, "nodes": [], "edges": [{"source": "a"}]}', "$.edges[0]", "needs 'target'"),
    ('{"version": 1, "nodes": [], "edges": [{"source": "a", "target": "b", "target_port": -1}]}',
     "$.edges[0].target_port", "between 0 and 1023"),
    ('{"version": 1, "nodes": [], "edges": [{"source": "a", "target": "b", "target_port": true}]}',
     "$.edges[0].target_port", "integer"),
    ('{"version": 1, "nodes": [], "training": 3}', "$.training", "object"),
    ('{"version": 1, "nodes": [], "nodez": []}', "$.nodez", "unknown key"),
    ('{"version": 1, "networks": {"g": {"nodes": [{"id": "", "type": "ReLU"}]}}}', "$.networks.g.nodes[0].id",
     "empty"),
    ('{"version": 1, "nodes": [', "$", "not valid JSON"),
])  # fmt: skip
def test_malformed_files_name_the_json_path(tmp_path, raw, path, words):
    f = tmp_path / "bad.json"
    f.write_text(raw)
    with pytest.raises(DesignFormatError) as e:
        load_design(f)
    assert e.value.path == path
    assert words in str(e.value) and str(f) in str(e.value)


def test_unreadable_file_is_a_format_error(tmp_path):
    with pytest.raises(DesignFormatError, match="cannot read"):
        load_design(tmp_path / "missing.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DesignFormatError, match="UTF-8"):
        load_design(tmp_path / "bin.json")


def test_multi_network_file_round_trips_and_validates_each_network(tmp_path):
    g, dsc = load_template("dcgan_generator"), load_template("dcgan_discriminator")
    gan = Design("gan", networks={"generator": g, "discriminator": dsc}, training={"task": "gan"})
    g.name, dsc.name = "generator", "discriminator"
    save_design(gan, tmp_path / "gan.json")
    again = load_design(tmp_path / "gan.json")
    assert again == gan and not again.nodes
    report = validate(again)
    assert report.valid
    assert report.nodes["generator/image"].shape == (1, 28, 28)
    assert report.params == validate(g).params + validate(dsc).params
    broken = again.copy()
    broken.networks["discriminator"].nodes[1].params["out_channels"] = 0
    issues = validate(broken).issues
    assert issues and issues[0].node.startswith("discriminator/") and "[discriminator]" in issues[0].message


def test_load_accepts_json_text_dict_and_design():
    d = load_design(json.dumps(LENET))
    assert load_design(d) == d and load_design(d) is not d
    assert Design("x", [Node("a", "ReLU")]).copy().nodes[0].params == {}


def test_hostile_json_gets_a_clear_error():
    from builder.design import loads

    with pytest.raises(DesignFormatError, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DesignFormatError, match="UTF-8"):
        loads(b"\xff{}")
    with pytest.raises(DesignFormatError, match="not valid JSON"):
        loads("assets/templates/lenet5.json")  # loads never treats text as a path


# -- hostile and damaged files (issue: hardening) -------------------------------------------------------------------
def _net(**node):
    return {"version": 1, "nodes": [{"id": "a", "type": "Input", **node}], "edges": []}


@pytest.mark.parametrize(
    "text, path, words",
    [
        ('{"version": 1, "nodes": [{"id": "a", "type": "Input", "position": {"x": NaN, "y": 0}}]}',
         "$.nodes[0].position.x", "finite"),
        ('{"version": 1, "nodes": [{"id": "a", "type": "Input", "position": {"x": 1, "y": Infinity}}]}',
         "$.nodes[0].position.y", "finite"),
        ('{"version": 1, "name": "\\ud800", "nodes": []}', "$.name", "lone surrogate"),
        ('{"version": 1, "nodes": [], "metadata": {"n": ' + "9" * 5000 + "}}", "$", "4,300 digits"),
        ('{"version": 1, "nodes": [], "metadata": ' + "[" * 600 + "]" * 600 + "}", "$.metadata", "nested more than"),
        ('{"version": 1, "nodes": [{"id": "a", "type": "Linear", "params": {"out_features": 99999999999999999999}}]}',
         "$.nodes[0].params.out_features", "out of range"),
        ('{"version": 1, "networks": {"../../../../tmp/x": {"nodes": []}}}', '$.networks["../../../../tmp/x"]',
         "plain identifier"),
        ('{"version": 1, "networks": {"/tmp/x": {"nodes": []}}}', '$.networks["/tmp/x"]', "plain identifier"),
        ('{"version": 1, "nodes": [{"id": "a\\nb", "type": "Input"}]}', "$.nodes[0].id", "control characters"),
        ('{"version": 1, "nodes": [], "edges": [{"source": "a", "target": "b", "target_port": 100000000}]}',
         "$.edges[0].target_port", "between 0 and 1023"),
    ],
)  # fmt: skip
def test_hostile_json_is_refused_at_load_with_its_json_path(text, path, words):
    with pytest.raises(DesignFormatError) as e:
        loads(text)
    assert e.value.path.startswith(path) and words in str(e.value)


def test_deep_nesting_in_a_dict_is_refused_without_recursion():
    deep = []
    for _ in range(5000):  # far beyond Python's recursion limit: the check is iterative
        deep = [deep]
    with pytest.raises(DesignFormatError, match="nested more than"):
        from_dict({"version": 1, "nodes": [], "metadata": {"x": deep}})


def test_saved_files_are_standard_json():
    import json

    design = load_template("lenet5")
    json.loads(dumps(design), parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_concurrent_saves_and_reads_never_fail_or_see_a_partial_file(tmp_path):
    import threading

    path = tmp_path / "d.json"
    designs = [load_template(n) for n in ("lenet5", "resnet18", "mlp_xor")]
    save_design(designs[0], path)
    errors, partial = [], []

    def writer(k):
        for i in range(60):
            try:
                save_design(designs[(k + i) % 3], path)
            except Exception as e:  # noqa: BLE001 - any failure is the bug
                errors.append(e)

    def reader():
        for _ in range(300):
            try:
                loads(path.read_text(encoding="utf-8"))
            except DesignFormatError as e:
                partial.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not partial
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]  # no temp file left behind


def test_a_failed_write_leaves_no_temp_file_and_the_old_contents(tmp_path):
    import errno

    from builder.design import DiskFull, atomic_write

    path = tmp_path / "f.txt"
    atomic_write(path, "old")

    def full(tmp):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DiskFull, match="no space left on the device holding the workspace"):
        atomic_write(path, full)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
