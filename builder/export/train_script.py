"""Export a standalone training script: the model's own source plus a loop that reproduces the design's
training settings, and that runs unchanged on one process or under ``torchrun --nproc_per_node=N`` with
DistributedDataParallel (gloo on CPU, nccl on CUDA). It needs torch, and either LayerLoom's ``builder`` package
(for the bundled dataset named in its settings) or an .npz file given with ``--data``."""

from __future__ import annotations

import os
from pathlib import Path

from ..codegen import doc_text, generate
from ..design import Design, load_design
from ..registry import literal
from .weights import ExportError, single_network

SUPPORTED = ("classification", "regression", "forecasting", "sequence_labeling", "autoencoder", "denoising")

LOOP = '''


def load_data(args):
    """{split: (x, y)} from an .npz (X_train, y_train, X_val, y_val[, X_test, y_test]) or the named dataset."""
    if args.data:
        with np.load(args.data, allow_pickle=False) as z:
            return {
                s: (z[f"X_{s}"], z[f"y_{s}"])
                for s in ("train", "val")
                if f"X_{s}" in z.files
            }
    from builder.data import load_dataset  # LayerLoom's bundled datasets

    d = load_dataset(
        CONFIG["dataset"], seed=CONFIG["seed"], **CONFIG["dataset_options"]
    )
    return {s: d.split(s) for s in ("train", "val")}


def make_optimizer(params):
    c = CONFIG
    if c["optimizer"] == "sgd":
        return torch.optim.SGD(
            params,
            lr=c["lr"],
            momentum=c["momentum"],
            nesterov=c["nesterov"],
            weight_decay=c["weight_decay"],
        )
    if c["optimizer"] == "adagrad":
        return torch.optim.Adagrad(params, lr=c["lr"], weight_decay=c["weight_decay"])
    if c["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=c["lr"], momentum=c["momentum"], weight_decay=c["weight_decay"]
        )
    cls = torch.optim.AdamW if c["optimizer"] == "adamw" else torch.optim.Adam
    return cls(params, lr=c["lr"], betas=c["betas"], weight_decay=c["weight_decay"])


def loss_fn(out, x, y):
    task, name = CONFIG["task"], CONFIG["loss"]
    if task in ("autoencoder", "denoising"):
        return F.mse_loss(out, x)
    if name in ("auto", "cross_entropy") and task in (
        "classification",
        "sequence_labeling",
    ):
        out = out.transpose(1, 2) if out.dim() == 3 else out
        return F.cross_entropy(out, y, label_smoothing=CONFIG["label_smoothing"])
    if name == "nll":
        return F.nll_loss(out.transpose(1, 2) if out.dim() == 3 else out, y)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out, y.float().reshape(out.shape))
    fn = {"l1": F.l1_loss, "huber": F.huber_loss}.get(name, F.mse_loss)
    return fn(out, y.reshape(out.shape))


def make_schedule(opt, steps_per_epoch, epochs):
    c, sched = CONFIG, torch.optim.lr_scheduler
    if c["schedule"] == "step":
        return sched.StepLR(opt, c["step_size"], c["gamma"])
    if c["schedule"] == "cosine":
        return sched.CosineAnnealingLR(opt, epochs)
    if c["schedule"] == "onecycle":
        cycle = c["optimizer"] in ("adam", "adamw") or c["momentum"] > 0
        return sched.OneCycleLR(
            opt,
            c["lr"],
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            cycle_momentum=cycle,
        )
    if c["schedule"] == "plateau":
        return sched.ReduceLROnPlateau(
            opt, factor=c["gamma"], patience=c["plateau_patience"]
        )
    return None


def augment(xb, gen):
    """Random horizontal flips and padded random crops for (N, C, H, W) images."""
    if xb.dim() != 4:
        return xb
    if CONFIG["augment_flip"]:
        flip = torch.rand(len(xb), generator=gen, device=xb.device) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
    p = CONFIG["augment_crop"]
    if p:
        h, w = xb.shape[-2:]
        dy, dx = torch.randint(
            0, 2 * p + 1, (2,), generator=gen, device=xb.device
        ).tolist()
        xb = F.pad(xb, (p, p, p, p))[..., dy : dy + h, dx : dx + w]
    return xb


def train_epoch(net, model, opt, sched, x, y, shard, gen, steps):
    """One pass over this rank's share; returns (sum of losses, samples) as a tensor."""
    batch, noise = CONFIG["batch_size"], CONFIG["input_noise"]
    noise = noise or (0.3 if CONFIG["task"] == "denoising" else 0.0)
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    total = torch.zeros(2, device=x.device)
    net.train()
    for b in range(steps):
        idx = shard[b * batch : (b + 1) * batch]
        xb, yb = x[idx], y[idx]
        inp = augment(xb, gen) if xb.is_floating_point() else xb
        inp = inp + noise * torch.randn_like(inp) if noise else inp
        loss = loss_fn(net(inp), xb, yb)
        if CONFIG["l1"]:
            loss = loss + CONFIG["l1"] * sum(w.abs().sum() for w in weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if CONFIG["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), CONFIG["grad_clip"])
        opt.step()
        if CONFIG["schedule"] == "onecycle":
            sched.step()
        total += torch.stack([loss.detach() * len(idx), torch.tensor(float(len(idx)))])
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--data", help=".npz with X_train, y_train, X_val, y_val")
    parser.add_argument(
        "--out", default="model.pt", help="where rank 0 saves the state_dict"
    )
    args = parser.parse_args()
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    torch.manual_seed(CONFIG["seed"])
    data = load_data(args)
    x, y = (torch.as_tensor(a).to(device) for a in data["train"])
    vx, vy = (torch.as_tensor(a).to(device) for a in data["val"])
    model = build_model().to(device)
    net = model
    if distributed:
        net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    steps = max(len(x) // (CONFIG["batch_size"] * world), 1)
    opt = make_optimizer(model.parameters())
    sched = make_schedule(opt, steps, args.epochs)
    gen = torch.Generator(device=device).manual_seed(CONFIG["seed"])
    best, stale = float("inf"), 0
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(x), generator=gen, device=device)
        shard = perm[
            rank::world
        ]  # the same permutation on every rank; each takes its share
        total = train_epoch(net, model, opt, sched, x, y, shard, gen, steps)
        if distributed:
            dist.all_reduce(total)
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(model(vx), vx, vy))
        if sched is not None and CONFIG["schedule"] == "plateau":
            sched.step(val)
        elif sched is not None and CONFIG["schedule"] != "onecycle":
            sched.step()
        if rank == 0:
            train_loss = float(total[0] / total[1])
            print(f"epoch {epoch}: train loss {train_loss:.4f}, val loss {val:.4f}")
        best, stale = (val, 0) if val < best else (best, stale + 1)
        if CONFIG["early_stopping"] and stale >= CONFIG["early_stopping"]:
            break
    if rank == 0:
        torch.save(model.state_dict(), args.out)
        print(f"saved {args.out}")
    if distributed:
        dist.barrier()  # every rank finishes together before the group goes away
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def export_train_script(design: Design | str | os.PathLike | dict, path) -> Path:
    """Write the standalone training script for ``design`` (its training section, resolved) to ``path``."""
    from ..train.config import resolve_config

    design = single_network(design if isinstance(design, Design) else load_design(design))
    cfg, issues = resolve_config(design)
    if issues:
        raise ExportError("the training settings have errors: " + "; ".join(i.message for i in issues))
    if cfg.task not in SUPPORTED:
        raise ExportError(f"train.py export covers {', '.join(SUPPORTED)}; this design's task is {cfg.task}")
    model = generate(design, main=False).source
    settings = {k: v for k, v in cfg.items() if k not in ("device", "amp", "log_every", "histogram_every")}
    config = "CONFIG = {\n" + "".join(f'    "{k}": {_value(v)},\n' for k, v in settings.items()) + "}\n"
    body = model.split("from torch import nn\n\n\n", 1)[1]  # helpers, the model class, build_model()
    imports = ["argparse", *(["math"] if "math." in body else []), "os"]
    script = (
        f'"""Train the {cfg.task} model {doc_text(design.name)!r} on {cfg.dataset}.\n\n'
        "Run: python train.py, or torchrun --nproc_per_node=N train.py (DistributedDataParallel).\n"
        'Exported by LayerLoom.\n"""\n\n'
        + "".join(f"import {m}\n" for m in imports)
        + "\nimport numpy as np\nimport torch\nimport torch.distributed as dist\nimport torch.nn.functional as F\n"
        "from torch import nn\nfrom torch.nn.parallel import DistributedDataParallel as DDP\n\n"
        + config
        + "\n\n"
        + body
    ).rstrip("\n") + LOOP
    path = Path(path)
    path.write_text(script, encoding="utf-8")
    return path


def _value(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{literal(k)}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return literal(v)
