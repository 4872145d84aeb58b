"""Validation: every issue class, reported all at once, with messages that say what, expected, received, fix."""

import pytest

from builder import Design, Edge, Node, validate
from builder.templates import load_template


def chain(*layers, shape=(1, 28, 28), dtype="float32"):
    """Input -> layers... -> Output, ids n1, n2, ...; a layer is "Type" or ("Type", params)."""
    nodes = [Node("x", "Input", {"shape": list(shape), "dtype": dtype})]
    for i, layer in enumerate(layers, 1):
        t, p = (layer, {}) if isinstance(layer, str) else layer
        nodes.append(Node(f"n{i}", t, p))
    nodes.append(Node("out", "Output"))
    edges = [Edge(a.id, b.id) for a, b in zip(nodes, nodes[1:])]
    return Design("t", nodes, edges)


def only(report, severity="error"):
    issues = [i for i in report.issues if i.severity == severity]
    assert len(issues) == 1, report.issues
    return issues[0]


def test_valid_chain_reports_shapes_params_and_macs():
    r = validate(chain(("Conv2d", {"out_channels": 4, "kernel_size": 3}), "Flatten", ("Linear", {"out_features": 10})))
    assert r.valid and not r.issues
    assert r.nodes["n1"].shape == (4, 26, 26) and r.nodes["n2"].shape == (2704,) and r.nodes["out"].shape == (10,)
    assert r.params == 40 + 27050 and r.macs == 4 * 26 * 26 * 9 + 27040
    assert r.order == ["x", "n1", "n2", "n3", "out"]


def test_kernel_larger_than_input_names_the_dim_and_fix():
    issue = only(validate(chain(("Conv2d", {"kernel_size": 7}), shape=(1, 5, 5))))
    assert issue.node == "n1" and issue.param == "kernel_size"
    assert issue.message == (
        "Conv2d 'n1': kernel_size=7 is larger than its input height 5. Expected kernel_size <= 5. Received 7. "
        "Reduce kernel_size, add padding, or remove a pooling/stride earlier so the input stays larger."
    )


def test_wrong_rank():
    issue = only(validate(chain(("Conv2d", {}), shape=(20,))))
    assert "expects a 4-D input (N, C, H, W) but receives (N, 20)" in issue.message
    issue = only(
        validate(
            chain(
                ("LSTM", {"hidden_size": 4}),
            )
        )
    )
    assert "LSTM 'n1': expects a 3-D input (N, T, features) but receives (N, 1, 28, 28)" in issue.message
    assert "Flatten or Reshape" in issue.message


def test_add_mismatch_names_both_nodes_and_proposes_the_projection():
    d = Design("res", [
        Node("x", "Input", {"shape": [64, 56, 56]}),
        Node("bn5", "BatchNorm2d"), Node("c7", "Conv2d", {"out_channels": 128, "kernel_size": 3, "stride": 2, "padding": 1}),
        Node("bn7", "BatchNorm2d"), Node("add3", "Add"), Node("out", "Output")],
        [Edge("x", "bn5"), Edge("x", "c7"), Edge("c7", "bn7"), Edge("bn5", "add3"), Edge("bn7", "add3", 1),
         Edge("add3", "out")])  # fmt: skip
    issue = only(validate(d))
    assert issue.message == (
        "Add 'add3': input 0 from 'bn5' is (N, 64, 56, 56) but input 1 from 'bn7' is (N, 128, 28, 28); they "
        "differ in dims 1–3. Give the path of 'bn5' a 1×1 Conv2d with stride 2 and 128 out_channels so it "
        "matches 'bn7'."
    )


def test_concat_mismatch_and_bad_dim():
    d = Design("c", [Node("a", "Input", {"shape": [4, 8, 8]}), Node("b", "Input", {"shape": [4, 6, 6]}),
                     Node("cat", "Concat", {"dim": 1}), Node("out", "Output")],
               [Edge("a", "cat"), Edge("b", "cat", 1), Edge("cat", "out")])  # fmt: skip
    assert "input 1 from 'b' is (N, 4, 6, 6) but input 0 from 'a' is (N, 4, 8, 8)" in only(validate(d)).message
    d.nodes[2].params["dim"] = 0
    issue = only(validate(d))
    assert issue.param == "dim" and "0 is the batch dim" in issue.message


def test_reshape_element_count():
    issue = only(
        validate(
            chain(
                ("Reshape", {"shape": [10, 10]}),
            )
        )
    )
    assert issue.param == "shape"
    assert "expected 784 values per sample, the new shape holds 100" in issue.message


def test_dtype_checks():
    issue = only(validate(chain(("Linear", {"out_features": 3}), shape=(5,), dtype="int64")))
    assert "expects float32 input but input 0 from 'x' is int64" in issue.message and "Embedding" in issue.message
    issue = only(validate(chain(("Embedding", {"num_embeddings": 9, "embedding_dim": 2}), shape=(5,))))
    assert "expects int64 token ids but receives float32" in issue.message


def test_linear_on_feature_map_warns_but_not_on_sequences():
    r = validate(chain(("Conv2d", {}), ("Linear", {"out_features": 3})))
    assert r.valid and "add a Flatten" in only(r, "warning").message
    assert not validate(chain(("Linear", {"out_features": 3}), shape=(7, 5))).issues


def test_params_are_checked_type_range_choice_unknown_and_groups():
    r = validate(
        chain(
            ("Conv2d", {"out_channels": 0, "kernel_size": "3", "padding_mode": "mirror", "strid": 2}),
        )
    )
    by_param = {i.param: i.message for i in r.issues}
    assert "must be >= 1, received 0" in by_param["out_channels"]
    assert "must be an integer or a list of 2 integers" in by_param["kernel_size"]
    assert "must be one of 'zeros', 'reflect'" in by_param["padding_mode"]
    assert "unknown parameter 'strid'. Did you mean 'stride'?" in by_param["strid"]
    assert len(r.errors) == 4  # every issue at once
    issue = only(validate(chain(("Conv2d", {"out_channels": 6, "groups": 3}), shape=(8, 8, 8))))
    assert issue.param == "groups" and "does not divide in_channels=8" in issue.message
    issue = only(validate(chain(("Linear", {"in_features": 3, "out_features": 2}), shape=(3,))))
    assert "in_features is taken from the incoming shape" in issue.message
    issue = only(
        validate(
            chain(
                ("Dropout", {"p": True}),
            )
        )
    )
    assert "must be a finite number" in issue.message


def test_structure_issues_all_at_once():
    d = Design("s", [Node("x", "Input", {"shape": [3]}), Node("x", "ReLU"), Node("y", "Linaer"),
                     Node("a", "Add"), Node("r", "Reparameterize")],
               [Edge("x", "a"), Edge("ghost", "a", 1)])  # fmt: skip
    msgs = [i.message for i in validate(d).issues]
    text = "\n".join(msgs)
    assert "the id 'x' is used by more than one node" in text
    assert "unknown layer type 'Linaer'. Did you mean 'Linear'?" in text
    assert "refers to 'ghost', which is not a node" in text
    assert "The design has no Output node" in text
    assert "Reparameterize 'r': input port 0 (mu), 1 (logvar) is not connected" in text
    assert "Add 'a': input port 1 is not connected" in text


def test_missing_input():
    issues = validate(Design("e", [Node("o", "Output")])).issues
    assert any(i.node is None and "no Input node" in i.message for i in issues)


def test_cycle_lists_its_nodes_and_does_not_cascade():
    d = chain("ReLU", "Tanh", "Sigmoid", shape=(4,))
    d.edges.append(Edge("n3", "n1", 1))
    d.nodes[1] = Node("n1", "Add")
    r = validate(d)
    cyc = [i for i in r.issues if "cycle" in i.message]
    assert len(cyc) == 1 and "'n1' → 'n2' → 'n3' → 'n1'" in cyc[0].message
    assert not r.valid and r.nodes["out"].shape is None


def test_too_many_inputs_and_double_port_and_edges_into_input_or_out_of_output():
    d = chain("ReLU", shape=(4,))
    d.nodes.append(Node("z", "Input", {"shape": [4]}))
    d.edges += [Edge("z", "n1", 1), Edge("z", "x"), Edge("out", "n1", 0)]
    text = "\n".join(i.message for i in validate(d).issues)
    assert "ReLU 'n1': too many inputs: expected at most 1 input, received 2 (extra: 'z')" in text
    assert "an Input takes no inputs, but 'z' is connected to it" in text
    assert "an Output ends the model and cannot feed 'n1'" in text


def test_dangling_nodes_warn():
    d = chain("ReLU", shape=(4,))
    d.nodes.append(Node("extra", "Tanh"))
    d.edges.append(Edge("x", "extra"))
    r = validate(d)
    assert r.valid and only(r, "warning").node == "extra" and "no path to an Output" in r.issues[0].message
    assert "extra" not in r.order


def test_downstream_of_a_broken_node_gets_no_cascading_issues():
    r = validate(chain(("Conv2d", {"kernel_size": 99}), "ReLU", "Flatten", ("Linear", {"out_features": 2})))
    assert len(r.issues) == 1 and r.nodes["n4"].shape is None


def test_recurrent_and_attention_specific_checks():
    issue = only(validate(chain(("LSTM", {"hidden_size": 4, "dropout": 0.5}), shape=(5, 3))), "warning")
    assert issue.param == "dropout" and "num_layers=1" in issue.message
    issue = only(validate(chain(("MultiheadAttention", {"num_heads": 3}), shape=(5, 8))))
    assert "num_heads=3 does not divide the embedding size 8" in issue.message
    issue = only(validate(chain(("PositionalEncoding", {"max_len": 4}), shape=(5, 8))))
    assert "Raise max_len" in issue.message


def test_to_json_shape():
    out = validate(load_template("lenet5")).to_json()
    assert out["valid"] and out["params"] == 61706 and out["nodes"]["conv1"]["shape"] == [6, 28, 28]


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "textcnn", "vae"])
def test_validation_is_deterministic(name):
    d = load_template(name)
    assert validate(d) == validate(d.copy())


def test_absurdly_large_layers_are_refused_before_building():
    issue = only(validate(chain(("Linear", {"out_features": 10**9}), shape=(1000,))))
    assert "parameters" in issue.message and "Make the layer smaller" in issue.message


# -- hardening: oversized requests are one clean issue, never a hang, a crash or 12 GB ---------------------------
def test_a_port_far_beyond_the_inputs_is_one_issue_at_once():
    import time

    d = chain(("Linear", {"out_features": 2}), shape=(4,))
    d.edges[-1].target_port = 100_000_000  # into the Output
    t = time.perf_counter()
    issue = only(validate(d))
    assert time.perf_counter() - t < 1.0  # was 36 s and 12 GB: a list per missing port
    assert "port 100000000" in issue.message and "Output has port 0" in issue.message
    merge = Design("m", [Node("x", "Input", {"shape": [4]}), Node("c", "Concat"), Node("out", "Output")],
                   [Edge("x", "c", 0), Edge("x", "c", 100_000_000), Edge("c", "out")])  # fmt: skip
    issue = only(validate(merge))
    assert "input port 1, 2, 3, 4, 5 and 99,999,994 more is not connected" in issue.message


def test_a_single_input_layer_says_so_when_unconnected():
    d = chain(("Linear", {"out_features": 2}), shape=(4,))
    d.edges = d.edges[1:]
    messages = [i.message for i in validate(d).errors]
    assert any("its input is not connected. Expected 1 input (port 0)" in m for m in messages)
    assert not any("ports 0, 1, …" in m for m in messages)


@pytest.mark.parametrize("scale", [1e308, [1e308, 2.0]])
def test_extreme_numbers_give_an_issue_not_an_exception(scale):
    issue = only(validate(chain(("Upsample", {"scale_factor": scale}))))
    assert "Upsample 'n1'" in issue.message and ("too large" in issue.message or "cannot be computed" in issue.message)


def test_huge_designs_are_refused_naming_the_biggest_node():
    r = validate(chain(*[("Linear", {"out_features": 44_000})] * 4, shape=(44_000,)))
    issue = only(r)
    assert "7,744,176,000 parameters" in issue.message and "expected at most 2,147,483,647" in issue.message
    assert issue.node == "n1" and "Linear 'n1' with 1,936,044,000" in issue.message  # the first of the biggest
    one = only(validate(chain(("Upsample", {"scale_factor": 1000.0}))))  # 28000×28000: one activation
    assert "too large" in one.message and "268,435,456 values per sample" in one.message
    many = validate(chain(*[("Conv2d", {"out_channels": 16, "padding": 1})] * 5, shape=(1, 2048, 2048)))
    issue = only(many)  # each activation (256 MB) fits, all of them do not
    assert "One sample's activations take 1.3 GB; expected at most 1.0 GB" in issue.message
    assert "The largest is Conv2d 'n1': (N, 16, 2048, 2048), 256.0 MB" in issue.message


def test_activation_bytes_come_from_the_shape_pass():
    r = validate(chain(("Conv2d", {"out_channels": 4, "padding": 1}), "Flatten"))
    assert r.nodes["n1"].activation_bytes == 4 * 28 * 28 * 4
    assert r.activation_bytes == 4 * (28 * 28 + 2 * 4 * 28 * 28)  # the Input, the conv and the Flatten


# -- agreement with torch's own module tests ---------------------------------------------------------------------
def test_padding_limits_follow_torch():
    import torch

    from builder import build_model

    ok = chain(("Conv2d", {"out_channels": 2, "padding": 5, "padding_mode": "replicate"}), shape=(1, 4, 4))
    r = validate(ok)
    assert r.valid and build_model(ok)(torch.zeros(1, 1, 4, 4)).shape[1:] == r.nodes["n1"].shape
    assert "smaller than" in only(validate(chain(("Conv2d", {"padding": 4, "padding_mode": "reflect"}),
                                                 shape=(1, 4, 4)))).message  # fmt: skip
    assert validate(chain(("Conv2d", {"padding": 4, "padding_mode": "circular"}), shape=(1, 4, 4))).valid
    assert "at most" in only(validate(chain(("Conv2d", {"padding": 5, "padding_mode": "circular"}),
                                            shape=(1, 4, 4)))).message  # fmt: skip


@pytest.mark.parametrize("bias_kv, zero_attn", [(False, False), (True, False), (False, True), (True, True)])
def test_attention_macs_count_the_extra_key_steps(bias_kv, zero_attn):
    base = validate(chain(("MultiheadAttention", {"num_heads": 2}), shape=(5, 8))).macs
    r = validate(chain(("MultiheadAttention", {"num_heads": 2, "add_bias_kv": bias_kv, "add_zero_attn": zero_attn}),
                       shape=(5, 8)))  # fmt: skip
    assert r.macs == base + 2 * 5 * 8 * (bias_kv + zero_attn)


def test_flatten_adaptive_pools_and_norms_take_torchs_arguments():
    import torch

    from builder import build_model

    for layer, shape in [(("Flatten", {"start_dim": -2}), (3, 4, 5)),
                         (("AdaptiveAvgPool2d", {"output_size": [None, 2]}), (3, 6, 7)),
                         (("BatchNorm2d", {"bias": False}), (3, 6, 6)),
                         (("GroupNorm", {"num_groups": 2, "bias": False}), (4, 6, 6)),
                         (("InstanceNorm2d", {"affine": True, "bias": False}), (4, 6, 6))]:  # fmt: skip
        d = chain(layer, shape=shape)
        r = validate(d)
        assert r.valid, r.issues
        model = build_model(d).eval()
        assert model(torch.randn(2, *shape)).shape[1:] == r.nodes["n1"].shape, layer
        assert sum(p.numel() for p in model.parameters()) == r.params, layer
    assert validate(chain(("Flatten", {"start_dim": -2}), shape=(3, 4, 5))).nodes["n1"].shape == (3, 20)
    assert not validate(chain(("AdaptiveMaxPool1d", {"output_size": [None]}), shape=(3, 6))).valid  # as in torch
    assert "dim 0 is the batch" in only(validate(chain(("Flatten", {"start_dim": -4}), shape=(3, 4, 5)))).message


def test_same_padding_with_reflect_or_circular_follows_torch():
    """Found by the fuzz test: padding='same' skipped the padding-mode limits (torch refuses a 1×1 reflect)."""
    import itertools

    import torch

    from tests.util import layer_design

    for mode, k, size, dil in itertools.product(["reflect", "circular", "replicate"], [1, 2, 3, 5], [1, 2, 3], [1, 2]):
        d = layer_design("Conv2d", {"padding": "same", "padding_mode": mode, "kernel_size": k, "dilation": dil},
                         [(1, size, size)])  # fmt: skip
        conv = torch.nn.Conv2d(1, 16, k, padding="same", padding_mode=mode, dilation=dil)  # torch's own verdict
        try:
            conv(torch.zeros(2, 1, size, size))
            torch_ok = True
        except RuntimeError:
            torch_ok = False
        assert validate(d).valid == torch_ok, (mode, k, size, dil)
