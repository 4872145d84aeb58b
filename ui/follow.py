"""Follow one sample through the network: pick an input, step node by node, see the real values at each node."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from builder import figures
from builder.data import load_dataset
from builder.design import dumps
from builder.export.errors import ExportError
from builder.plan import plan
from builder.probes.follow import FollowError, Trace, dataset_sample, follow, random_sample
from builder.registry import REGISTRY
from builder.train.engine import prepare
from builder.train.errors import TrainError
from builder.workspace import DamagedRun, Workspace
from ui import export_view
from ui.text import code, md

NOTE = ("One input goes through the network one node at a time. At each step you see what the node read, what it "
        "computed and its real output for this sample — exactly the numbers the model computes, from the weights "
        "you pick. Untrained weights are random: train the design to see what it learned.")  # fmt: skip
MAX_TABLE = 64  # values listed one by one (before → after) at most; more are drawn


def show(ws: Workspace, design, design_id: str, key: str = "follow") -> None:
    st.caption(NOTE)
    runs = [r for r in ws.runs(design_id) if r.status not in ("failed", "damaged")]
    cols = st.columns([3, 2])
    with cols[0]:
        run = export_view.weights_choice(runs, key=f"{key}-weights")
    where_col = cols[1]
    try:
        source = Workspace.run_design(run) if run else design  # a run's weights fit the design it trained
    except DamagedRun as e:
        st.error(f"Run {md(run.run_id)} cannot be followed: {md(e)}")
        return
    whole = plan(source)
    if not whole.valid:
        st.warning("The design has errors, so there is nothing to run yet: fix them on the Build page.")
        return
    p = whole
    if whole.multi:
        with cols[1]:
            name = st.radio("Network", list(whole.networks), horizontal=True, key=f"{key}-network")
        p, where_col = whole.network(name), cols[0]
    data, why = _dataset(p)  # (once per run of the page: the sample, the words and the class names read it)
    with where_col:
        sample, label, where = _sample(p, data, why, key)
    if sample is None:
        return
    text = hashlib.sha1(dumps(source).encode()).hexdigest()  # the design itself: a new plan each run is the same
    choice = (key, run.run_id if run else None, text, p.design.name, where)
    if st.session_state.get(f"{key}-trace", (None,))[0] != choice:
        with st.spinner("Running the sample through the network…"):
            try:
                model = p.load(run.checkpoint) if run else p.new_model(0)
                trace = follow(p, model, sample)
            except (FollowError, ExportError, MemoryError) as e:
                st.error(md(e))
                return
        st.session_state[f"{key}-trace"] = (choice, trace, sample)
    _, trace, sample = st.session_state[f"{key}-trace"]
    if label:
        st.caption(label)
    _stepper(p, data, trace, sample, key)


def _sample(p, data, why: str, key: str):
    """(sample, what it is, where it comes from): a validation sample of the design's dataset where the design
    fits it, otherwise seeded random noise (a generator's input, a design without data)."""
    if data is None:
        seed = st.number_input("random input (seed)", 0, 10_000, 0, key=f"{key}-seed")
        st.caption(f"No dataset sample fits this network ({md(why)}), so it follows seeded random noise "
                   f"of its input shape.")  # fmt: skip
        return random_sample(p, seed), "", f"seed {seed}"
    n = len(data.x_val)
    index = st.number_input(f"validation sample of {md(data.spec.title)} (0–{n - 1})", 0, n - 1, 0,
                            key=f"{key}-sample")  # fmt: skip
    try:
        x, y = dataset_sample(data, int(index))
    except FollowError as e:
        st.error(md(e))
        return None, "", ""
    label = ""
    if data.spec.classes and np.ndim(y) == 0:
        label = f"This sample's label: **{md(data.spec.classes[int(y)])}**"
    elif np.ndim(y) == 0 or np.size(y) <= 8:
        label = f"This sample's target: {code(np.round(np.asarray(y, 'float64'), 3).tolist())}"
    return x, label, f"{data.spec.name}:{int(index)}"


def _stepper(p, data, trace: Trace, sample, key: str) -> None:
    nodes = [s.node for s in trace.steps]
    node_key = f"{key}-node"
    if st.session_state.get(node_key) not in nodes:
        st.session_state[node_key] = nodes[0]

    def move(by: int) -> None:
        i = nodes.index(st.session_state[node_key])
        st.session_state[node_key] = nodes[max(0, min(len(nodes) - 1, i + by))]

    i = nodes.index(st.session_state[node_key])
    cols = st.columns([1, 5, 1], vertical_alignment="bottom")
    cols[0].button("Previous", key=f"{key}-prev", on_click=move, args=(-1,), disabled=i == 0,
                   icon=":material/arrow_back:", width="stretch")  # fmt: skip
    cols[1].selectbox(f"Step {i + 1} of {len(nodes)}", nodes, key=node_key,
                      format_func=lambda n: f"{trace.step(n).index + 1}. {n} · {trace.step(n).type}")  # fmt: skip
    cols[2].button("Next", key=f"{key}-next", on_click=move, args=(1,), disabled=i == len(nodes) - 1,
                   icon=":material/arrow_forward:", width="stretch")  # fmt: skip
    step = trace.step(st.session_state[node_key])
    ins = trace.inputs(step)
    reads = ", ".join(f"{code(src)} {_shape(v)}" for (src, _), v in zip(step.sources, ins))
    st.markdown(f"#### {md(step.node)} · {md(step.type)}")
    st.markdown(f"Reads {reads or 'the sample'} → gives {_shape(step.value)}")
    spec = REGISTRY.get(step.type)
    if spec is not None and spec.doc:
        st.caption(spec.doc)  # (the registry's own text, written as markdown, as the node form shows it)
    value = step.value[0] if isinstance(step.value, tuple) else step.value
    st.caption(_stats(value))
    _view(p, data, step, ins, value, sample, key)


def _shape(value) -> str:
    if isinstance(value, tuple):
        return " + ".join(_shape(v) for v in value)
    return code(tuple(np.shape(value)))


def _stats(value: np.ndarray) -> str:
    v = np.asarray(value, "float64")
    if v.size == 0:
        return "no values"
    return (f"{v.size:,} value{'s' if v.size != 1 else ''} · min {v.min():.4g} · max {v.max():.4g} · mean {v.mean():.4g} · "
            f"zeros {np.mean(v == 0):.0%}")  # fmt: skip


def _view(p, data, step, ins, value, sample, key: str) -> None:
    detail, chart = step.detail, f"{key}-chart"
    if detail.get("kind") == "linear":
        st.markdown("Each output unit computes $z_j = \\sum_i w_{ji} x_i + b_j$ — with this sample's numbers:")
        left, right = st.columns([3, 2])
        left.dataframe(_linear(detail), hide_index=True, key=f"{key}-table",
                       height=min(36 + 35 * len(detail["weight"]), 360))  # fmt: skip
        right.plotly_chart(figures.step_values(value, f"{step.node}: z for this sample"), key=chart)
        return
    if detail.get("kind") == "attention":
        st.plotly_chart(figures.attention_heatmaps(detail["weights"][None], step.node), key=chart)
        return
    if detail.get("kind") == "gates":
        gates = detail["gates"]
        layer = 0
        if len(gates["layers"]) > 1:
            layer = st.selectbox("layer / direction", range(len(gates["layers"])), key=f"{key}-layer",
                                 format_func=lambda k: f"layer {gates['layers'][k]['layer']} · "
                                 f"{gates['layers'][k]['direction']}")  # fmt: skip
        st.plotly_chart(figures.gate_heatmaps(gates, layer), key=chart)
        return
    if step.category == "Activation" and ins and np.shape(ins[0]) == np.shape(value):
        if np.size(value) <= MAX_TABLE:
            before, after = np.asarray(ins[0]).reshape(-1), np.asarray(value).reshape(-1)
            left, right = st.columns([2, 3])
            left.dataframe(pd.DataFrame({"unit": range(len(before)), "input": before, "output": after}),
                           hide_index=True, key=f"{key}-table", height=min(36 + 35 * len(before), 360))  # fmt: skip
        else:
            right = st.container()
        right.plotly_chart(figures.activation_curve(ins[0], value, f"{step.type} on this sample's "
                                                    f"{np.size(value):,} values: input → output"), key=chart)  # fmt: skip
        return
    if np.ndim(value) == 3 and np.ndim(sample) == 3:  # channel maps of an image
        maps = {"input": np.asarray(sample, "float32")[None], step.node: np.asarray(value)[None]}
        st.plotly_chart(figures.feature_map_grid(maps, step.node), key=chart)
        return
    if step.type == "Input" and np.issubdtype(np.asarray(value).dtype, np.integer):
        vocab = getattr(data, "vocab", ())
        if vocab:
            ids = np.asarray(value).reshape(-1).tolist()
            n = len(ids)
            while ids and ids[-1] == 0:  # (padding at the end, counted instead of listed)
                ids.pop()
            words = " ".join(vocab[i] if 0 <= i < len(vocab) else f"<{i}>" for i in ids)
            pad = f" and {n - len(ids)} × {vocab[0]}" if n > len(ids) else ""
            st.markdown(f"The token ids read as: {code(words)}{pad}")
    classes = _classes(p, data, step, value)
    labels = list(classes) if len(classes) == np.size(value) else None
    if np.size(value) == 1:
        st.metric(f"{step.node}'s value for this sample", f"{float(np.asarray(value).reshape(-1)[0]):.4g}")
    else:
        title = f"{step.node}: {np.size(value):,} values for this sample"
        st.plotly_chart(figures.step_values(value, title, labels), key=chart)
    if labels:
        probs = np.exp(value - value.max()) / np.exp(value - value.max()).sum()
        st.caption(f"Predicted class: **{md(labels[int(np.argmax(value))])}** (softmax {probs.max():.1%})")
    elif len(classes) == 2 and np.size(value) == 1:  # one logit: the probability of the second class
        prob = 1 / (1 + np.exp(-float(np.asarray(value).reshape(-1)[0])))
        st.caption(f"Predicted class: **{md(classes[int(prob > 0.5)])}** (sigmoid: {prob:.1%} for "
                   f"{md(classes[1])})")  # fmt: skip


def _linear(d: dict) -> pd.DataFrame:
    """Each output unit's w·x + b with the sample's numbers."""
    rows = []
    for j, (w, z) in enumerate(zip(d["weight"], np.asarray(d["z"]).reshape(-1))):
        terms = " + ".join(f"{wi:.3f}×{_paren(xi)}" for wi, xi in zip(w, d["x"]))
        b = "" if d["bias"] is None else f" + {_paren(d['bias'][j])}"
        rows.append({"unit": j, "w·x + b": terms + b, "z": float(z)})
    return pd.DataFrame(rows)


def _paren(v: float) -> str:
    return f"({v:.3f})" if v < 0 else f"{v:.3f}"


def _classes(p, data, step, value) -> tuple[str, ...]:
    """The dataset's class names where ``step`` gives the class scores (an Output, or the node feeding it)."""
    ends = {src for o in p.outputs for src in p.report.inputs.get(o, [])} | set(p.outputs)
    if step.node not in ends or np.ndim(value) != 1:
        return ()
    return data.spec.classes if data is not None and data.spec.task == "classification" else ()


def _dataset(p):
    """(the design's dataset as its training loads it, None) or (None, why no dataset fits the design)."""
    try:
        cfg = prepare(p).cfg
        return load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options), ""
    except (TrainError, ValueError) as e:
        return None, str(e)
