"""Plotly figures from probe snapshots and run metrics: the one plotting module (no UI calls here).

Each function takes the plain arrays a probe returns and gives a figure with a title and axis labels a
learner can read.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

GATE_ORDER = ("input", "forget", "cell", "output", "c", "h", "reset", "update", "new", "pre")
SIGMOID_GATES = ("input", "forget", "output", "reset", "update")  # on 0–1; the rest are states (tanh or beyond)
GATE_TITLES = {"input": "input gate i", "forget": "forget gate f", "cell": "cell candidate g", "output": "output gate o",
               "c": "cell state c", "h": "hidden state h", "reset": "reset gate r", "update": "update gate z",
               "new": "new gate n", "pre": "pre-activation"}  # fmt: skip


CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
                "#bcbd22")  # fmt: skip


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return math.ceil(n / cols), cols


def feature_map_grid(maps: dict, node: str, sample: int = 0, max_channels: int = 16, cols: int = 8) -> go.Figure:
    """The input image beside the first channels of one Conv/Pool node's output, for one sample."""
    fmap = maps[node][sample]
    image = maps["input"][sample]
    channels = min(len(fmap), max_channels)
    rows, cols = _grid(channels + 1, cols)
    titles = ["input"] + [f"channel {c}" for c in range(channels)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.08)
    shown = image.mean(0) if image.ndim == 3 else image if image.ndim == 2 else image[None]  # image, map, sequence
    fig.add_trace(go.Heatmap(z=shown[::-1], colorscale="gray", showscale=False), 1, 1)
    for c in range(channels):
        r, k = divmod(c + 1, cols)
        z = fmap[c] if fmap.ndim == 3 else fmap[c][None]
        fig.add_trace(go.Heatmap(z=z[::-1], colorscale="Viridis", showscale=False), r + 1, k + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(title=f"Feature maps of {node!r}: what each filter responds to in the input",
                      height=150 * rows + 90, margin={"t": 90, "b": 10, "l": 10, "r": 10})  # fmt: skip
    return fig


def attention_heatmaps(weights: np.ndarray, node: str, sample: int = 0, tokens: list[str] | None = None) -> go.Figure:
    """One heatmap per head: row = query position, column = key position, colour = attention weight. Each head
    has its own scale, 0 to its largest weight (near-uniform attention, ~1/T everywhere, would be white on a
    fixed 0–1 scale); each title gives that maximum, the figure's title the uniform level 1/T."""
    w = weights[sample]
    heads, tq, tk = w.shape
    rows, cols = _grid(heads, 4)
    titles = [f"head {h} · max {w[h].max():.2f}" for h in range(heads)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.09,
                        vertical_spacing=min(0.3, 0.5 / rows))  # fmt: skip
    labels_k = tokens[:tk] if tokens else list(range(tk))
    labels_q = tokens[:tq] if tokens else list(range(tq))
    for h in range(heads):
        r, c = divmod(h, cols)
        top = max(float(w[h].max()), 1e-6)
        fig.add_trace(go.Heatmap(z=w[h], x=labels_k, y=labels_q, colorscale="Blues", zmin=0, zmax=top,
                                 showscale=False, hovertemplate="query %{y} → key %{x}: %{z:.3f}<extra></extra>"),
                      r + 1, c + 1)  # fmt: skip
        fig.update_xaxes(title_text="key" if r == rows - 1 else None, type="category", row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="query" if c == 0 else None, type="category", autorange="reversed",
                         row=r + 1, col=c + 1)  # fmt: skip
    fig.update_layout(title=f"Attention of {node!r}: where each position looks, per head (each head on 0 to its "
                            f"max; uniform attention would be 1/{tk} = {1 / tk:.2f} everywhere)",
                      height=320 * rows + 80)  # fmt: skip
    return fig


def gate_heatmaps(gates: dict, layer: int = 0, sample: int = 0, max_units: int = 64) -> go.Figure:
    """One panel per gate (time × hidden unit) for one layer/direction of an LSTM, GRU or RNN."""
    entry = gates["layers"][layer]
    names = [g for g in GATE_ORDER if g in entry]
    rows, cols = _grid(len(names), 3)
    panels = {g: entry[g][sample][:, :max_units].T for g in names}  # units × time
    # sigmoid gates live on 0–1; the candidate, cell and hidden state on their own symmetric scale (a cell
    # state can leave ±1), given in the panel's title
    spans = {g: 1.0 if g in SIGMOID_GATES else max(float(np.abs(panels[g]).max()), 1e-6) for g in names}
    titles = [GATE_TITLES[g] + ("  (0 to 1)" if g in SIGMOID_GATES else f"  (±{spans[g]:.2g})") for g in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08)
    for k, g in enumerate(names):
        r, c = divmod(k, cols)
        bounded = g in SIGMOID_GATES
        fig.add_trace(go.Heatmap(z=panels[g], colorscale="RdBu_r", zmin=0 if bounded else -spans[g],
                                 zmax=spans[g], showscale=False), r + 1, c + 1)  # fmt: skip
        fig.update_xaxes(title_text="time step", row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="unit", row=r + 1, col=c + 1)
    title = (f"{gates['type']} gates, layer {entry.get('layer', layer)} ({entry['direction']}): gates 1 = open, "
             "0 = closed; states red > 0 > blue")  # fmt: skip
    fig.update_layout(title=title, height=260 * rows + 80)
    return fig


def unit_gates(gates: dict, unit: int = 0, layer: int = 0, sample: int = 0) -> go.Figure:
    """One hidden unit's gates over time as lines."""
    entry = gates["layers"][layer]
    fig = go.Figure()
    for g in GATE_ORDER:
        if g in entry:
            fig.add_trace(go.Scatter(y=entry[g][sample][:, unit], mode="lines", name=GATE_TITLES[g]))
    fig.update_layout(title=f"Unit {unit} of {gates['type']} layer {layer} over time", xaxis_title="time step",
                      yaxis_title="value")  # fmt: skip
    return fig


def image_grid(images: np.ndarray, title: str, cols: int = 8, value_range=(0.0, 1.0),
               labels: list[str] | None = None) -> go.Figure:  # fmt: skip
    """A grid of (N, C, H, W) images: GAN samples, reconstructions, inputs (with a label over each, if given)."""
    n = len(images)
    rows, cols = _grid(n, cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.01, vertical_spacing=0.06 if labels else 0.01,
                        subplot_titles=labels)  # fmt: skip
    for i in range(n):
        r, c = divmod(i, cols)
        img = images[i]
        z = img.mean(0) if img.ndim == 3 else img
        fig.add_trace(go.Heatmap(z=z[::-1], colorscale="gray", zmin=value_range[0], zmax=value_range[1],
                                 showscale=False), r + 1, c + 1)  # fmt: skip
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(title=title, height=(140 if labels else 115) * rows + 80,
                      margin={"t": 80, "b": 10, "l": 10, "r": 10})  # fmt: skip
    return fig


def segmentation(view: dict) -> go.Figure:
    """Test images (top row), their true masks (middle) and the predicted masks (bottom)."""
    n = len(view["input"])
    rows = np.concatenate([view["input"], view["truth"][:, None].astype(np.float32),
                           view["pred"][:, None].astype(np.float32)])  # fmt: skip
    return image_grid(rows, "Segmentation: images (top), true masks (middle), your model's masks (bottom)", cols=n)


def reconstructions(rec: dict, n: int = 8) -> go.Figure:
    both = np.concatenate([rec["input"][:n], rec["output"][:n]])
    return image_grid(both, "Reconstructions: inputs (top row) and what the model rebuilds (bottom row)", cols=n)


def gan_2d(view: dict) -> go.Figure:
    """Real and generated points over the discriminator's probability of 'real' (as GAN Lab shows)."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=view["grid_x"], y=view["grid_y"], z=view["d_prob"], colorscale="RdBu", zmin=0,
                             zmax=1, opacity=0.6, colorbar={"title": "D(x) = P(real)"}))  # fmt: skip
    if "real" in view:
        fig.add_trace(go.Scatter(x=view["real"][:, 0], y=view["real"][:, 1], mode="markers", name="real",
                                 marker={"color": "black", "size": 4}))  # fmt: skip
    fig.add_trace(go.Scatter(x=view["samples"][:, 0], y=view["samples"][:, 1], mode="markers", name="generated",
                             marker={"color": "orange", "size": 5}))  # fmt: skip
    fig.update_layout(title="GAN: real vs generated points over the discriminator's verdict", xaxis_title="x₁",
                      yaxis_title="x₂", legend={"orientation": "h", "y": -0.2})  # fmt: skip
    return fig


def decision_boundary(view: dict, points: np.ndarray | None = None, labels: np.ndarray | None = None) -> go.Figure:
    """The 2-D classifier's probability of class 1 (or its most likely class) over the input plane."""
    probs = view["probs"]
    binary = probs.shape[-1] <= 2
    z = probs[..., -1] if binary else probs.argmax(-1)
    span = (0, 1) if binary else (0, probs.shape[-1] - 1)  # a fixed scale: 0.5 is always the boundary's colour
    fig = go.Figure(go.Heatmap(x=view["x"], y=view["y"], z=z, colorscale="RdBu", opacity=0.7, zmin=span[0],
                               zmax=span[1], colorbar={"title": "P(class 1)" if binary else "class"}))  # fmt: skip
    if points is not None:
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name="data",
                                 marker={"color": labels, "colorscale": "RdBu", "line": {"width": 1}, "size": 6}))  # fmt: skip
    fig.update_layout(
        title="Decision boundary: how the model splits the input plane",
        xaxis_title="x₁",
        yaxis={"title": "x₂", "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        xaxis={"constrain": "domain"},
    )  # fmt: skip  (equal scales: a square plane stays square)
    return fig


def histograms(stats: dict, key: str = "weight_hist") -> go.Figure:
    """Weight (or gradient) histograms per layer, each as a density (area 1), so a layer with many weights does
    not dwarf the others: where the values sit, and whether gradients vanish."""
    fig = go.Figure()
    for node, entry in stats.items():
        if key in entry:
            counts, edges = entry[key]
            counts, edges = np.asarray(counts, float), np.asarray(edges, float)
            density = counts / max(counts.sum(), 1) / np.maximum(np.diff(edges), 1e-30)
            fig.add_trace(go.Scatter(x=(edges[:-1] + edges[1:]) / 2, y=density, name=node, mode="lines",
                                     line={"shape": "hvh"}))  # fmt: skip
    what = "weights" if key.startswith("weight") else "gradients"
    fig.update_layout(title=f"Distribution of {what} per layer (density: each layer's area is 1)",
                      xaxis_title="value", yaxis_title="density")  # fmt: skip
    return fig


def confusion(matrix: list[list[int]], classes: list[str]) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=matrix, x=classes, y=classes, colorscale="Blues", text=matrix,
                               texttemplate="%{text}", colorbar={"title": "count"}))  # fmt: skip
    fig.update_layout(title="Confusion matrix: rows are the true class, columns the prediction",
                      xaxis={"title": "predicted", "type": "category"},  # class names, even "0", "1", are labels
                      yaxis={"title": "true", "autorange": "reversed", "type": "category"})  # fmt: skip
    return fig


def embedding_map(pca: dict, n: int = 200) -> go.Figure:
    coords, words = pca["coords"][:n], pca["words"][:n] or None
    fig = go.Figure(go.Scatter(x=coords[:, 0], y=coords[:, 1], mode="markers+text" if words else "markers",
                               text=words, textposition="top center"))  # fmt: skip
    ex = pca["explained"]
    fig.update_layout(title="Embedding vectors, projected on their two main directions (PCA)",
                      xaxis_title=f"PC1 ({ex[0]:.0%} of variance)", yaxis_title=f"PC2 ({ex[1]:.0%})")  # fmt: skip
    return fig


def _series(epochs: list[dict], split: str, metric: str) -> tuple[list, list]:
    """(epochs, values) of one metric of one split, from a run's epoch events' data."""
    kept = [e for e in epochs if metric in e.get(split, {})]
    return [e["epoch"] for e in kept], [e[split][metric] for e in kept]


def curves(epochs: list[dict], metric: str = "loss") -> go.Figure:
    """Train vs validation curves from a run's epoch events (their ``train`` and ``val`` dicts)."""
    fig = go.Figure()
    for split in ("train", "val"):
        xs, ys = _series(epochs, split, metric)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=split,
                                     line={"dash": "dot" if split == "train" else "solid"}))  # fmt: skip
    fig.update_layout(title=f"{metric} per epoch", xaxis_title="epoch", yaxis_title=metric)
    return _whole_epochs(fig)


def lr_schedule(lrs: list[float], schedule: str) -> go.Figure:
    """The learning rate at each epoch of a run, before it starts (builder.train.engine.lr_schedule)."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(lrs) + 1)), y=lrs, mode="lines+markers" if len(lrs) <= 40 else "lines",
                               name="lr", line={"shape": "hv"}))  # fmt: skip
    fig.update_layout(title=f"learning rate by epoch (schedule: {schedule})", xaxis_title="epoch",
                      yaxis_title="lr", height=260, margin={"t": 40, "b": 40, "l": 60, "r": 20}, showlegend=False,
                      yaxis={"exponentformat": "e", "rangemode": "tozero"})  # fmt: skip
    return _whole_epochs(fig)


def overlay(runs: list[tuple[str, list[dict]]], metric: str = "loss", split: str = "val",
            metrics: list[str] | None = None) -> go.Figure:  # fmt: skip
    """Several runs' curves on one chart — e.g. one network trained with SGD, Momentum, Nesterov, AdaGrad,
    RMSProp and Adam. ``runs`` is (label, epoch events' data) pairs; ``metrics`` draws several per run (a GAN's
    G and D losses: solid and dotted, one colour per run). Runs with no points yet draw nothing."""
    metrics = metrics or [metric]
    fig = go.Figure()
    for k, (label, epochs) in enumerate(runs):
        for j, m in enumerate(metrics):
            xs, ys = _series(epochs, split, m)
            if xs:
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=label if len(metrics) == 1 else
                                         f"{label} · {m}", line={"dash": ("solid", "dot", "dash")[j % 3],
                                                                  "color": CLASS_COLORS[k % len(CLASS_COLORS)]}))  # fmt: skip
    what = " and ".join(metrics)
    fig.update_layout(title=f"{split} {what} per epoch, run by run", xaxis_title="epoch",
                      yaxis_title=what if len(metrics) == 1 else "value", legend={"orientation": "h", "y": -0.25})  # fmt: skip
    return _whole_epochs(fig)


def _whole_epochs(fig: go.Figure) -> go.Figure:
    """Epoch ticks on whole epochs (no "1.5"), about ten of them at most."""
    last = max((max(t.x) for t in fig.data if t.x is not None and len(t.x)), default=1)
    return fig.update_xaxes(tick0=1, dtick=max(1, math.ceil(last / 10)))


def class_balance(counts: dict[str, list[int]], classes: list[str]) -> go.Figure:
    """Samples per class in each split: whether some classes are rare (then accuracy alone misleads)."""
    fig = go.Figure([go.Bar(x=classes, y=c, name=split) for split, c in counts.items()])
    fig.update_layout(title="Class balance per split", xaxis_title="class", yaxis_title="samples", barmode="group")
    return fig


def scatter_2d(x: np.ndarray, y: np.ndarray, classes: list[str], title: str = "The data") -> go.Figure:
    """2-D points coloured by class (the Playground datasets), or the first two features of tabular data."""
    fig = go.Figure()
    for k, name in enumerate(classes):
        m = y == k
        color = CLASS_COLORS[k % len(CLASS_COLORS)]  # distinct hues, whatever the app's theme
        fig.add_trace(go.Scatter(x=x[m, 0], y=x[m, 1], mode="markers", name=name, marker={"size": 5, "color": color}))
    fig.update_layout(title=title, xaxis_title="x₁", yaxis_title="x₂")
    return fig


def sequences(x: np.ndarray, y: np.ndarray, n: int = 6, targets: list[str] | None = None) -> go.Figure:
    """A few (time, features) sequences, one line each per feature, with the target in the legend."""
    fig = go.Figure()
    for i in range(min(n, len(x))):
        for f in range(x.shape[-1]):
            target = np.round(y[i], 3).tolist()
            fig.add_trace(go.Scatter(y=x[i, :, f], mode="lines", name=f"sample {i} · feature {f} → {target}"))
    what = f" (target: {', '.join(targets)})" if targets else ""
    fig.update_layout(title=f"Sample sequences{what}", xaxis_title="time step", yaxis_title="value")
    return fig


def gradient_norms(nets: dict[str, list[tuple[str, float]]]) -> go.Figure:
    """Per network, the gradient norm of each weight layer from the first to the last, on a log scale: a line
    that falls toward the first layers is a vanishing gradient."""
    fig = go.Figure()
    for k, (label, norms) in enumerate(nets.items()):
        ys = [max(g, 1e-30) for _, g in norms]
        fig.add_trace(go.Scatter(x=list(range(1, len(norms) + 1)), y=ys, mode="lines+markers", name=label,
                                 text=[n for n, _ in norms], hovertemplate="%{text}: %{y:.2e}<extra></extra>",
                                 line={"color": CLASS_COLORS[k % len(CLASS_COLORS)]}))  # fmt: skip
    fig.update_layout(title="Gradient norm of each weight layer, first to last (one backward pass)",
                      xaxis={"title": "weight layer (1 = first)", "dtick": 1},
                      yaxis={"title": "gradient norm (log scale)", "type": "log", "exponentformat": "power"},
                      legend={"orientation": "h", "y": -0.25})  # fmt: skip
    return fig


def optimizer_paths(grid: dict, paths: dict[str, np.ndarray], minimum: tuple[float, float], title: str) -> go.Figure:
    """Optimizers' paths over a 2-D loss surface (contours of log10 loss), from one start, to its minimum (★)."""
    fig = go.Figure(go.Contour(x=grid["x"], y=grid["y"], z=grid["z"], colorscale="Greys", reversescale=True,
                               ncontours=25, showscale=False, contours={"coloring": "lines"}, hoverinfo="skip"))  # fmt: skip
    x0, x1, y0, y1 = grid["x"][0], grid["x"][-1], grid["y"][0], grid["y"][-1]
    for k, (label, path) in enumerate(paths.items()):
        inside = path[(path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)]
        fig.add_trace(go.Scatter(x=inside[:, 0], y=inside[:, 1], mode="lines+markers", name=label,
                                 marker={"size": 3}, line={"width": 2, "color": CLASS_COLORS[k % len(CLASS_COLORS)]}))  # fmt: skip
    fig.add_trace(go.Scatter(x=[minimum[0]], y=[minimum[1]], mode="markers", name="minimum",
                             marker={"symbol": "star", "size": 14, "color": "gold", "line": {"width": 1}}))  # fmt: skip
    fig.update_layout(title=title, xaxis={"title": "w₁", "range": [x0, x1]}, yaxis={"title": "w₂", "range": [y0, y1]},
                      legend={"orientation": "h", "y": -0.2})  # fmt: skip
    return fig


def outlier_errors(view: dict, n: int) -> go.Figure:
    """MAE and RMSE of one set of predictions as outliers are added to it."""
    fig = go.Figure()
    for k, name in enumerate(("mae", "rmse")):
        fig.add_trace(go.Scatter(x=view["outliers"], y=view[name], mode="lines+markers", name=name.upper(),
                                 line={"color": CLASS_COLORS[k]}))  # fmt: skip
    fig.update_layout(title=f"MAE vs RMSE as large errors are added to {n} good predictions",
                      xaxis={"title": "predictions with a large error (outliers)", "dtick": 2},
                      yaxis_title="error", legend={"orientation": "h", "y": -0.25})  # fmt: skip
    return fig


def latent_space(view: dict) -> go.Figure:
    """An autoencoder's 2-number codes of test images, one colour per class (a label the network never saw)."""
    xy, labels, classes = view["xy"], np.asarray(view["labels"]), view["classes"]
    fig = go.Figure()
    for k, name in enumerate(classes):
        pts = xy[labels == k]
        if len(pts):
            fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=str(name),
                                     marker={"size": 5, "color": CLASS_COLORS[k % len(CLASS_COLORS)]}))  # fmt: skip
    fig.update_layout(title="The latent space: each test image's 2-number code, coloured by its digit",
                      xaxis_title="code 1", yaxis_title="code 2", legend={"title": "digit"})  # fmt: skip
    return fig


def mode_counts(view: dict) -> go.Figure:
    """A generator's samples close to each mode of the data: even bars are a covered ring, gaps a collapse."""
    counts = view["counts"]
    fig = go.Figure(go.Bar(x=[str(k) for k in range(len(counts))], y=counts, marker_color=CLASS_COLORS[0]))
    fair = sum(counts) / max(len(counts), 1)
    fig.add_hline(y=fair / 4, line_dash="dot")  # (explained in the title: a label on the line would sit on a bar)
    fig.update_layout(title=f"Generated samples close to each mode: {view['covered']} of {view['modes']} covered "
                      "(covered: above the dotted line, a quarter of an even share)",
                      xaxis_title="mode (cluster of the ring)", yaxis_title="samples")  # fmt: skip
    return fig


def family(rows: list[dict]) -> go.Figure:
    """Networks side by side: parameters against multiply-accumulates (both log scales), one colour per network
    (a legend rather than labels on the points: the mid-size networks sit too close for labels)."""
    fig = go.Figure()
    for k, r in enumerate(rows):
        fig.add_trace(go.Scatter(x=[r["MACs"]], y=[r["parameters"]], mode="markers", name=f"{r['network']} · {r['depth']}",
                                 marker={"size": 13, "color": CLASS_COLORS[k % len(CLASS_COLORS)]},
                                 hovertemplate="%{x:.3s} MACs, %{y:.3s} parameters"))  # fmt: skip
    span = lambda vals: [math.log10(min(vals)) - 0.3, math.log10(max(vals)) + 0.3]  # noqa: E731
    fig.update_layout(title="Size against cost per 224×224 image (log scales)",
                      xaxis={"title": "multiply-accumulates per image", "type": "log", "dtick": 1,
                             "range": span([r["MACs"] for r in rows])},
                      yaxis={"title": "parameters", "type": "log", "dtick": 1,
                             "range": span([r["parameters"] for r in rows])},
                      legend={"title": "network · depth"}, margin={"t": 60})  # fmt: skip
    return fig


def gaps(view: dict[str, float]) -> go.Figure:
    """The generalization gap (validation loss minus training loss) of each variant, as horizontal bars."""
    names = list(view)
    fig = go.Figure(go.Bar(x=[view[k] for k in names], y=names, orientation="h", marker_color=CLASS_COLORS[0],
                           text=[f"{view[k]:.2f}" for k in names], textposition="outside", cliponaxis=False))  # fmt: skip
    fig.update_layout(title="Generalization gap after 200 epochs: validation loss − training loss (smaller is better)",
                      xaxis_title="gap", yaxis={"autorange": "reversed"}, height=120 + 40 * len(names),
                      margin={"l": 10, "r": 60})  # fmt: skip
    return fig


def step_values(value: np.ndarray, title: str, labels: list[str] | None = None, max_bars: int = 256) -> go.Figure:
    """One sample's values at one node: bars for a vector (named by ``labels``, e.g. class names, when they fit;
    a line past ``max_bars``), a heatmap for a (rows, columns) matrix such as (time, features), one number as a
    single bar. Heatmaps use a scale symmetric around 0 when the values have both signs."""
    v = np.asarray(value, dtype="float64")
    if v.ndim <= 1:
        v = v.reshape(-1)
        x = labels if labels is not None and len(labels) == len(v) else list(range(len(v)))
        trace = (go.Bar(x=x, y=v, marker_color=CLASS_COLORS[0]) if len(v) <= max_bars else
                 go.Scatter(x=x, y=v, mode="lines", line={"color": CLASS_COLORS[0]}))  # fmt: skip
        fig = go.Figure(trace)
        fig.update_layout(xaxis_title="class" if x is labels else "unit", yaxis_title="value",
                          xaxis={"type": "category"} if x is labels else {})  # fmt: skip
    else:
        z = v.reshape(v.shape[0], -1)
        lim = float(np.abs(z).max()) or 1.0
        signed = z.min() < 0 < z.max()
        fig = go.Figure(go.Heatmap(z=z, colorscale="RdBu_r" if signed else "Viridis", zmin=-lim if signed else None,
                                   zmax=lim if signed else None, colorbar={"thickness": 12}))  # fmt: skip
        cols = f"dim 1 ({v.shape[1]})" if v.ndim == 2 else f"dims 1–{v.ndim - 1} {tuple(v.shape[1:])}, flattened"
        fig.update_layout(xaxis_title=cols, yaxis={"title": f"dim 0 ({v.shape[0]})", "autorange": "reversed"})
    fig.update_layout(title=title, height=360, margin={"t": 60, "b": 50, "l": 60, "r": 20})
    return fig


def activation_curve(before: np.ndarray, after: np.ndarray, title: str, max_points: int = 4000) -> go.Figure:
    """Each unit's input (x) against its output (y) at an activation, for one sample: the real values trace the
    function's curve, and show where on it this sample's units sit (saturated, zeroed, in the linear part)."""
    b, a = np.asarray(before, "float64").reshape(-1), np.asarray(after, "float64").reshape(-1)
    if len(b) > max_points:  # an even subsample keeps the curve and the spread
        keep = np.linspace(0, len(b) - 1, max_points).astype(int)
        b, a = b[keep], a[keep]
    fig = go.Figure(go.Scatter(x=b, y=a, mode="markers", marker={"size": 6, "color": CLASS_COLORS[0], "opacity": 0.7}))
    fig.update_layout(title=title, xaxis_title="input to the activation", yaxis_title="output", height=360,
                      margin={"t": 60, "b": 50, "l": 60, "r": 20})  # fmt: skip
    return fig
