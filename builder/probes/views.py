"""Probes: plain arrays of what a model computes, for any built model and design (no plotting, no UI).

Each function runs one eval-mode forward pass on the probe input ``x`` (a batch) and returns numpy arrays.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..design import Design
from .capture import hooks, module_of, nodes_with_probe, run_eval


def feature_maps(model: nn.Module, design: Design, x: torch.Tensor) -> dict[str, np.ndarray]:
    """{"input": x, node: output} for every Conv/Pool node (and ConvTranspose): (N, C, [H,] W) arrays."""
    ids = nodes_with_probe(design, "feature_maps")
    with hooks(model, ids) as seen:
        run_eval(model, x)
    out = {"input": x.detach().cpu().numpy()}
    out.update({nid: seen[nid].detach().cpu().numpy() for nid in ids if nid in seen})
    return out


def attention_weights(model: nn.Module, design: Design, x: torch.Tensor) -> dict[str, np.ndarray]:
    """{node: (N, heads, T_query, T_key)} for every MultiheadAttention and TransformerEncoderLayer node: the
    module's own per-head weights (need_weights=True, average_attn_weights=False); rows sum to 1."""
    ids = nodes_with_probe(design, "attention")
    with hooks(model, ids, inputs=True) as seen:
        run_eval(model, x)
    out = {}
    with torch.no_grad():
        for nid in ids:
            if nid not in seen:
                continue
            module, args = module_of(model, nid), seen[nid]
            if isinstance(module, nn.TransformerEncoderLayer):
                src = module.norm1(args[0]) if module.norm_first else args[0]
                attn, q, k, v = module.self_attn, src, src, src
            else:
                attn, (q, k, v) = module, args[:3]
            _, weights = attn(q, k, v, need_weights=True, average_attn_weights=False)
            out[nid] = weights.cpu().numpy()
    return out


def _gates(module: nn.Module) -> int:
    return {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)


def recurrent_gates(model: nn.Module, design: Design, node_id: str, x: torch.Tensor) -> dict:
    """The gates of an LSTM/GRU/RNN node recomputed from its own weights, per layer and direction, over time.

    Returns {"type", "layers": [{"direction": "forward"|"backward", <gate>: (N, T, H), ..., "h": (N, T, H)}]}
    with LSTM gates input/forget/cell/output and cell state "c"; GRU reset/update/new; RNN "pre" (the
    pre-activation). The recomputed h (and c) equal the module's own outputs.
    """
    module = module_of(model, node_id)
    if not isinstance(module, (nn.LSTM, nn.GRU, nn.RNN)):
        raise ValueError(f"node {node_id!r} is not an RNN, LSTM or GRU")
    with hooks(model, [node_id], inputs=True) as seen:
        run_eval(model, x)
    inp = seen[node_id][0].detach()
    kind = type(module).__name__
    layers, directions = [], 2 if module.bidirectional else 1
    with torch.no_grad():
        for layer in range(module.num_layers):
            outs = []
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                seq = inp.flip(1) if d else inp
                rec = _recompute(module, kind, seq, suffix)
                if d:
                    rec = {k: v.flip(1) for k, v in rec.items()}
                rec_np = {k: v.cpu().numpy() for k, v in rec.items()}
                layers.append({"layer": layer, "direction": "backward" if d else "forward", **rec_np})
                outs.append(rec["h"])
            inp = torch.cat(outs, dim=2)  # the next layer reads both directions (dropout is off in eval)
    return {"type": kind, "layers": layers}


def _recompute(module, kind, seq, suffix) -> dict[str, torch.Tensor]:
    w_ih = getattr(module, f"weight_ih{suffix}")
    w_hh = getattr(module, f"weight_hh{suffix}")
    b_ih = getattr(module, f"bias_ih{suffix}", None)
    b_hh = getattr(module, f"bias_hh{suffix}", None)
    n, t = seq.shape[:2]
    hidden = w_hh.shape[1]
    h = seq.new_zeros(n, hidden)
    c = seq.new_zeros(n, module.hidden_size)
    x_part = seq @ w_ih.T + (b_ih if b_ih is not None else 0)  # (N, T, G*H)
    names = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ("pre",)}[kind]
    record = {k: [] for k in (*names, "h", *(("c",) if kind == "LSTM" else ()))}
    w_hr = getattr(module, f"weight_hr{suffix}", None)
    for step in range(t):
        h_part = h @ w_hh.T + (b_hh if b_hh is not None else 0)
        if kind == "LSTM":
            i, f, g, o = (x_part[:, step] + h_part).chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            if w_hr is not None:
                h = h @ w_hr.T
            values = {"input": i, "forget": f, "cell": g, "output": o, "c": c}
        elif kind == "GRU":
            xr, xz, xn = x_part[:, step].chunk(3, dim=1)
            hr, hz, hn = h_part.chunk(3, dim=1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            new = torch.tanh(xn + r * hn)
            h = (1 - z) * new + z * h
            values = {"reset": r, "update": z, "new": new}
        else:
            pre = x_part[:, step] + h_part
            h = torch.tanh(pre) if module.nonlinearity == "tanh" else torch.relu(pre)
            values = {"pre": pre}
        values["h"] = h
        for k, v in values.items():
            record[k].append(v)
    return {k: torch.stack(v, dim=1) for k, v in record.items()}


def gan_samples(generator: nn.Module, z: torch.Tensor, discriminator: nn.Module | None = None,
                real: torch.Tensor | None = None, grid: int = 60) -> dict:  # fmt: skip
    """Samples from fixed noise; for 2-D GANs also real points and the discriminator's probability surface."""
    was = generator.training
    generator.eval()
    with torch.no_grad():
        fake = generator(z)
    generator.train(was)
    out = {"samples": fake.cpu().numpy()}
    if discriminator is not None and fake.dim() == 2 and fake.shape[1] == 2:
        pts = torch.cat([fake, real]) if real is not None else fake
        lo, hi = pts.min(0).values - 0.5, pts.max(0).values + 0.5
        xs, ys = torch.linspace(lo[0], hi[0], grid), torch.linspace(lo[1], hi[1], grid)
        mesh = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2).to(z.device)
        was_d = discriminator.training
        discriminator.eval()
        with torch.no_grad():
            prob = torch.sigmoid(discriminator(mesh)).reshape(grid, grid)
        discriminator.train(was_d)
        out.update(grid_x=xs.numpy(), grid_y=ys.numpy(), d_prob=prob.cpu().numpy())
        if real is not None:
            out["real"] = real.cpu().numpy()
    return out
