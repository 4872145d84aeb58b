"""What lessons measure besides a training run: per-layer gradient norms at initialisation, and optimizers'
paths on a 2-D loss surface."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..data import load_dataset
from ..plan import plan
from ..probes.capture import module_of
from ..train import recipe
from ..train.engine import prepare

MAX_SAMPLES = 4096  # one batch of the lesson's data, at most
MAX_STEPS = 5000  # optimizer steps on a surface


def gradient_norms(design, settings: dict, samples: int = 256, seed: int = 0) -> list[tuple[str, float]]:
    """(node id, gradient norm of its weights) for every node with weights, in forward order, after one backward
    pass of the training loss on ``samples`` training samples, from the initial weights of ``seed``. Vanishing
    gradients show as norms that shrink toward the first layers."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be between 1 and {MAX_SAMPLES}, received {samples}")
    p = plan(design)
    ready = prepare(p, settings)  # every check a run makes (the design, the settings, the fit to the data)
    data = load_dataset(ready.cfg.dataset, seed=ready.cfg.seed, **ready.cfg.dataset_options)
    x, y = torch.from_numpy(data.x_train[:samples]), torch.from_numpy(data.y_train[:samples])
    model = recipe.new_model(p.model_class, seed)
    model.train()
    recipe.make_loss(ready.c)(model(x), y).backward()
    out = []
    for nid in p.report.order:  # the validated forward order
        module = module_of(model, nid)
        weights = [q for name, q in module.named_parameters() if name.endswith("weight")] if module else []
        grads = [q.grad for q in weights if q.grad is not None and q.dim() > 1]  # matrices and kernels, not norms
        if grads:
            out.append((nid, float(torch.cat([g.flatten() for g in grads]).norm())))
    return out


def bottleneck(p) -> str | None:
    """The node between the input and the output whose output has the fewest numbers per sample (an
    autoencoder's code); None when the design has no such node."""
    ends = set(p.flat.input_ids) | set(p.flat.output_ids)
    sizes = {n.id: math.prod(p.shape(n.id)) for n in p.flat.nodes
             if n.id not in ends and p.shape(n.id) is not None}  # fmt: skip
    return min(sizes, key=sizes.get) if sizes else None  # (the first of the narrowest, in design order)


MAX_TEST_SAMPLES = 2000  # test samples a figure is drawn from, at most


def codes(p, checkpoint, node_id: str, dataset: str, n: int = 1000) -> dict:
    """The trained model's output at ``node_id`` for ``n`` test samples, with their labels: an autoencoder's codes,
    to draw as its latent space."""
    from ..probes.capture import hooks, run_eval

    data = load_dataset(dataset)
    x = torch.from_numpy(data.x_test[: min(n, MAX_TEST_SAMPLES)])
    model = p.load(checkpoint)
    with hooks(model, [node_id]) as seen:
        run_eval(model, x)
    out = seen[node_id]
    out = out[0] if isinstance(out, tuple) else out
    return {"xy": out.detach().float().reshape(len(x), -1).numpy(), "labels": data.y_test[: len(x)],
            "classes": list(data.spec.classes)}  # fmt: skip


MAX_GAN_SAMPLES = 100_000


def gan_modes(p, checkpoint, dataset: str, n: int = 2000, seed: int = 0) -> dict:
    """How many of a labelled dataset's clusters (its classes: the ring's 8 modes) a trained generator covers.
    ``n`` samples from the generator are each given to the nearest cluster centre; a sample is *close* within 3
    standard deviations of the cluster, and a mode is *covered* when it holds at least a quarter of its fair share
    of the close samples."""
    if not 1 <= n <= MAX_GAN_SAMPLES:
        raise ValueError(f"n must be between 1 and {MAX_GAN_SAMPLES}, received {n}")
    gen_plan = p.network("generator")
    gen = gen_plan.load(checkpoint).eval()
    z_shape = gen_plan.shape(gen_plan.inputs[0])
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fake = gen(torch.randn(n, *z_shape)).float().numpy().reshape(n, -1)
    data = load_dataset(dataset)
    x, y = data.x_train.reshape(len(data.x_train), -1), data.y_train
    modes = sorted(set(y.tolist()))
    centres = np.stack([x[y == k].mean(0) for k in modes])
    spread = np.array([np.sqrt(((x[y == k] - centres[i]) ** 2).sum(1).mean()) for i, k in enumerate(modes)])
    d = np.linalg.norm(fake[:, None, :] - centres[None], axis=2)
    nearest = d.argmin(1)
    close = d[np.arange(n), nearest] <= 3 * spread[nearest]
    counts = np.bincount(nearest[close], minlength=len(modes))
    fair = close.sum() / len(modes)  # each mode's share of the close samples, were they spread evenly
    return {"covered": int((counts >= max(fair / 4, 1)).sum()), "modes": len(modes), "counts": counts.tolist(),
            "close": float(close.mean()), "samples": fake[:500], "centres": centres}  # fmt: skip


def word_neighbours(p, checkpoint, vocab, words: list[str], k: int = 5) -> dict[str, list[str]]:
    """Each of ``words``' ``k`` nearest words by cosine similarity in the trained model's (first) Embedding."""
    from ..probes.capture import module_of

    emb = next((n.id for n in p.flat.nodes if n.type == "Embedding"), None)
    if emb is None:
        raise ValueError("the design has no Embedding layer: there are no word vectors to compare")
    w = module_of(p.load(checkpoint), emb).weight.detach().float()
    w = torch.nn.functional.normalize(w[: len(vocab)], dim=1)
    index = {word: i for i, word in enumerate(vocab)}
    out = {}
    for word in words:
        sims = w @ w[index[word]]
        sims[index[word]] = -2.0  # not its own neighbour
        sims[:2] = -2.0  # nor padding and unknown
        out[word] = [vocab[i] for i in sims.topk(k).indices.tolist()]
    return out


def mirror_attention(p, checkpoint, dataset: str, n: int = 200) -> dict:
    """Per attention node and head, the share of attention each query position gives to its mirror position
    (T - 1 - t: where the reversed sequence's token is), averaged over ``n`` test sequences; and the mean pattern of
    the best head (T × T) to draw."""
    from ..probes.views import attention_weights

    data = load_dataset(dataset)
    x = torch.from_numpy(data.x_test[: min(n, MAX_TEST_SAMPLES)])
    weights = attention_weights(p.load(checkpoint), p.flat, x)
    if not weights:
        raise ValueError("the design has no attention layer (MultiheadAttention or TransformerEncoderLayer)")
    shares, best = {}, (None, -1, -1.0)
    for nid, w in weights.items():  # (N, heads, T, T)
        t = w.shape[-1]
        mirror = w[:, :, np.arange(t), np.arange(t)[::-1]].mean(axis=(0, 2))  # per head
        shares[nid] = [float(v) for v in mirror]
        head = int(mirror.argmax())
        if mirror[head] > best[2]:
            best = (nid, head, float(mirror[head]))
    nid, head, share = best
    return {"shares": shares, "node": nid, "head": head, "share": share,
            "pattern": weights[nid][:, head].mean(0)}  # fmt: skip


def segment(p, checkpoint, dataset: str, n: int = 8) -> dict:
    """``n`` test images, their true masks and the trained model's predicted masks (class per pixel)."""
    data = load_dataset(dataset)
    x = torch.from_numpy(data.x_test[: min(n, 64)])  # (images drawn side by side)
    model = p.load(checkpoint).eval()
    with torch.no_grad():
        out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
    return {"input": x.numpy(), "truth": data.y_test[: len(x)], "pred": pred.numpy()}


def generalization(p, checkpoint, settings: dict) -> dict:
    """The trained model's loss and accuracy on the training and the validation split, both in eval mode (no
    dropout, noise or augmentation: the training run's own figures are taken with them on, which would flatter a
    regularized model), and the gap between them."""
    ready = prepare(p, settings)
    data = load_dataset(ready.cfg.dataset, seed=ready.cfg.seed, **ready.cfg.dataset_options)
    model, loss_fn, out = p.load(checkpoint), recipe.make_loss(ready.c), {}
    for split in ("train", "val"):
        x, y = (torch.from_numpy(a) for a in data.split(split))
        loss, outs = recipe.evaluate(model, ready.c, loss_fn, x, y, 1024)
        out[split] = {"loss": loss, **ready.task.metrics(torch.cat(outs), y, loss, data)}
    out["gap"] = out["val"]["loss"] - out["train"]["loss"]
    return out


WEIGHT_LAYERS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "Linear")


def depth(report) -> tuple[int, int]:
    """(weight layers, depth): how many convolution and Linear layers the network has, and how many of them the
    longest path from an input to an output passes through (the depth papers quote)."""
    longest: dict[str, int] = {}
    for nid in report.order:  # the validated topological order (of the model's nodes): sources come first
        here = int(report.nodes[nid].type in WEIGHT_LAYERS)
        longest[nid] = here + max((longest.get(src, 0) for src in report.inputs.get(nid, ())), default=0)
    layers = sum(report.nodes[nid].type in WEIGHT_LAYERS for nid in report.order)
    return layers, max(longest.values(), default=0)


def family(names: list[str]) -> list[dict]:
    """Side by side: each template's parameters, multiply-accumulates per sample, weight layers and depth."""
    from ..templates import load_template
    from ..validate import validate

    rows = []
    for name in names:
        d = load_template(name)
        report = validate(d)
        layers, deep = depth(report)
        rows.append({"network": d.metadata.get("title", name), "parameters": report.params, "MACs": report.macs,
                     "weight layers": layers, "depth": deep})  # fmt: skip
    return rows


# -- 2-D loss surfaces -------------------------------------------------------------------------------------
def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _ravine(x, y):  # an elongated bowl: steep across, shallow along (where momentum helps)
    return 0.05 * x**2 + 5 * y**2


# name: (function, start, minimum, plot range x, plot range y)
SURFACES = {
    "ravine": (_ravine, (-4.0, 1.0), (0.0, 0.0), (-4.5, 1.5), (-1.5, 1.5)),
    "rosenbrock": (_rosenbrock, (-1.5, 2.0), (1.0, 1.0), (-2.0, 2.0), (-1.0, 3.0)),
    "beale": (_beale, (-1.0, 1.5), (3.0, 0.5), (-1.5, 4.0), (-1.5, 2.0)),
}


def optimizer_path(surface: str, settings: dict, steps: int = 200) -> np.ndarray:
    """The points an optimizer visits on ``surface`` from its start, with ``settings`` (optimizer, lr, momentum,
    nesterov, betas as in a design's training section): a (steps + 1, 2) array. A path that diverges stops where
    it left the finite numbers."""
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, received {steps}")
    fn, start = SURFACES[surface][:2]
    c = {"momentum": 0.0, "nesterov": False, "betas": (0.9, 0.999), "weight_decay": 0.0, **settings}
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = recipe.make_optimizer(c, [w])  # the same update rules a run uses
    points = [w.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        fn(w[0], w[1]).backward()
        opt.step()
        point = w.detach().clone().numpy()
        if not np.isfinite(point).all() or np.abs(point).max() > 1e6:
            break
        points.append(point)
    return np.array(points)


def distance_to_minimum(surface: str, path: np.ndarray) -> float:
    mx, my = SURFACES[surface][2]
    x, y = path[-1]
    return math.hypot(x - mx, y - my)


def surface_grid(surface: str, n: int = 120) -> dict:
    """The surface's values on an n×n grid over its plot range (log-scaled for a readable contour)."""
    fn, _, _, (x0, x1), (y0, y1) = SURFACES[surface]
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    return {"x": xs, "y": ys, "z": np.log10(fn(gx, gy) + 1e-3)}


def outlier_errors(max_outliers: int = 20, n: int = 200, size: float = 10.0, seed: int = 0) -> dict:
    """MAE and RMSE of predictions that are good (errors ~ N(0, 0.5)) except for k outliers of error ``size``, for
    k = 0 … max_outliers: RMSE squares each error before averaging, so a few large errors dominate it."""
    if not 0 <= max_outliers <= n <= 100_000:
        raise ValueError(f"need 0 ≤ max_outliers ≤ n ≤ 100000, received max_outliers={max_outliers}, n={n}")
    err = np.random.default_rng(seed).normal(0, 0.5, n)
    out = {"outliers": [], "mae": [], "rmse": []}
    for k in range(max_outliers + 1):
        e = err.copy()
        e[:k] = size
        out["outliers"].append(k)
        out["mae"].append(float(np.abs(e).mean()))
        out["rmse"].append(float(np.sqrt((e**2).mean())))
    return out
