"""The Visualize page's views of one probe snapshot, each with a short note on what the learner is looking at."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from builder import figures

NOTES = {
    "feature_maps": "Each small image is one filter's output for the input on the left: bright where the filter "
    "found its pattern (an edge, a stroke, a corner). Early layers respond to simple strokes; deeper ones to larger "
    "parts, at lower resolution after pooling.",
    "attention": "One heatmap per head. Row i shows where position i looks: how much weight each key position gets "
    "when its output is mixed together (every row sums to 1). Different heads learn to look at different things.",
    "gates": "Gates are valves between 0 (closed) and 1 (open) at each time step and hidden unit. The forget gate "
    "decides what the cell keeps, the input gate what it writes, the output gate what it shows; the cell state c "
    "is the LSTM's memory. A GRU has reset and update gates instead.",
    "gan": "Samples from the same fixed noise at every snapshot, so you watch the generator improve. For 2-D data "
    "the background is the discriminator's probability that a point is real: the generator learns to move its "
    "points (orange) to where the discriminator says 'real'.",
    "reconstructions": "The top row is the input; the bottom row is what the model rebuilds from its code. Blurry "
    "reconstructions mean the code keeps only the coarse shape.",
    "decision_boundary": "The colour is the model's probability of each class across the input plane; the dots "
    "are validation points. An MLP with a hidden layer bends the boundary; a perceptron can only draw a line.",
    "histograms": "Where the weights (or gradients) of each layer sit. Gradients shrinking toward zero in early "
    "layers is the vanishing-gradient problem; very wide ones mean exploding gradients.",
    "activations": "The share of ReLU units that output zero for every probe sample ('dead') and of Sigmoid/Tanh "
    "outputs stuck at their limits ('saturated'). Both stop learning: lower the learning rate or change init.",
    "embedding": "Each word's embedding vector projected on its two main directions. Words the model treats alike "
    "end up close together.",
}


def _note(kind: str) -> None:
    st.caption(NOTES[kind])


def _pick(label: str, options: list, key: str):
    return options[0] if len(options) == 1 else st.selectbox(label, options, key=key)


def show(snap: dict, key: str = "viz") -> None:
    """Tabs for every view the snapshot holds."""
    views = [(k, t) for k, t in (("feature_maps", "Feature maps"), ("attention", "Attention"), ("gates", "Gates"),
             ("gan", "GAN samples"), ("reconstructions", "Reconstructions"), ("decision_boundary", "Decision boundary"),
             ("embedding", "Embeddings"), ("norms", "Weights & gradients"), ("activations", "Dead units"))
             if snap.get(k)]  # fmt: skip
    if not views:
        st.info("This snapshot holds no views for this kind of network.")
        return
    for (kind, _), tab in zip(views, st.tabs([t for _, t in views])):
        with tab:
            RENDER[kind](snap, f"{key}-{kind}")


def _feature_maps(snap, key):
    _note("feature_maps")
    maps = snap["feature_maps"]
    node = _pick("node", [n for n in maps if n != "input"], key)
    sample = st.slider("probe sample", 0, len(maps["input"]) - 1, 0, key=f"{key}-sample")
    st.plotly_chart(figures.feature_map_grid(maps, node, sample), key=f"{key}-chart")


def _attention(snap, key):
    _note("attention")
    node = _pick("node", list(snap["attention"]), key)
    tokens = (snap.get("tokens") or [None])[0]
    st.plotly_chart(figures.attention_heatmaps(snap["attention"][node], node, 0, tokens), key=f"{key}-chart")


def _gates(snap, key):
    _note("gates")
    node = _pick("node", list(snap["gates"]), key)
    gates = snap["gates"][node]
    layers = list(range(len(gates["layers"])))
    layer = _pick("layer / direction", layers, f"{key}-layer")
    st.plotly_chart(figures.gate_heatmaps(gates, layer), key=f"{key}-chart")
    units = gates["layers"][layer]["h"].shape[-1]
    unit = st.slider("one unit over time", 0, units - 1, 0, key=f"{key}-unit")
    st.plotly_chart(figures.unit_gates(gates, unit, layer), key=f"{key}-unit-chart")


def _gan(snap, key):
    _note("gan")
    view = snap["gan"]
    if "d_prob" in view:
        st.plotly_chart(figures.gan_2d(view), key=f"{key}-chart")
    elif view["samples"].ndim == 4:
        samples = view["samples"][:32]
        scale = (-1.0, 1.0) if samples.min() < -0.05 else (0.0, 1.0)  # a Tanh generator draws in [-1, 1]
        st.plotly_chart(figures.image_grid(samples, f"Generated samples at epoch {snap.get('epoch')}",
                                           value_range=scale), key=f"{key}-chart")  # fmt: skip
    else:
        st.dataframe(pd.DataFrame(view["samples"][:20]), key=f"{key}-table")


def _reconstructions(snap, key):
    _note("reconstructions")
    rec = snap["reconstructions"]
    if np.ndim(rec["input"]) == 4:
        st.plotly_chart(figures.reconstructions(rec), key=f"{key}-chart")
    else:
        st.dataframe(pd.DataFrame({"input": list(rec["input"][:8]), "output": list(rec["output"][:8])}),
                     key=f"{key}-table")  # fmt: skip


def _decision_boundary(snap, key):
    _note("decision_boundary")
    view = snap["decision_boundary"]
    st.plotly_chart(figures.decision_boundary(view, view.get("points"), view.get("labels")), key=f"{key}-chart")


def _embedding(snap, key):
    _note("embedding")
    st.plotly_chart(figures.embedding_map(snap["embedding"]), key=f"{key}-chart")


def _norms(snap, key):
    _note("histograms")
    norms = snap["norms"]
    which = st.radio("show", ["weights", "gradients"], horizontal=True, key=f"{key}-which")
    hist_key = "weight_hist" if which == "weights" else "grad_hist"
    if any(hist_key in e for e in norms.values()):
        st.plotly_chart(figures.histograms(norms, hist_key), key=f"{key}-chart")
    rows = [{"node": n, "weight norm": e.get("weight_norm"), "gradient norm": e.get("grad_norm")}
            for n, e in norms.items()]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{key}-table")


def _activations(snap, key):
    _note("activations")
    rows = [{"node": n, "kind": e["kind"], "dead units": e.get("dead"), "zero outputs": e.get("zero"),
             "saturated": e.get("saturated")} for n, e in snap["activations"].items()]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{key}-table")


RENDER = {"feature_maps": _feature_maps, "attention": _attention, "gates": _gates, "gan": _gan,
          "reconstructions": _reconstructions, "decision_boundary": _decision_boundary, "embedding": _embedding,
          "norms": _norms, "activations": _activations}  # fmt: skip
