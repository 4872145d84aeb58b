"""The training recipe: one implementation of how a LayerLoom model is trained.

The optimizer, the learning-rate schedule, the loss, L1, gradient clipping, augmentation, input noise, the
data order, the optimizer step and evaluation live here. LayerLoom's engine imports this module and the
exported train.py contains it (copied as source, everything below the ``recipe`` marker), so both run the
same code: for the same seed they train the same model the same way.

It needs torch alone. Settings come as one mapping ``c`` of plain values: the checked training settings
(builder.train.config) plus the task's part (builder.tasks: the resolved loss, the target, the noise and
which output is which). This file is formatted for 88 columns, the exported script's width.
"""

import torch
import torch.nn.functional as F

# -- recipe ------------------------------------------------------------------------


def new_model(factory, seed):
    """``factory()`` with weights drawn from ``seed``; then the global generator, which dropout and input
    noise draw from, is seeded too."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = factory()
    torch.manual_seed(seed)
    return model


def make_optimizer(c, params):
    """SGD (with momentum / Nesterov), AdaGrad, RMSProp, Adam or AdamW."""
    lr, decay = c["lr"], c["weight_decay"]
    if c["optimizer"] == "sgd":
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=c["momentum"],
            nesterov=c["nesterov"],
            weight_decay=decay,
        )
    if c["optimizer"] == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=decay)
    if c["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=lr, momentum=c["momentum"], weight_decay=decay
        )
    cls = torch.optim.AdamW if c["optimizer"] == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, betas=tuple(c["betas"]), weight_decay=decay)


def make_schedule(c, opt, steps_per_epoch):
    """The learning-rate schedule, or None. OneCycle steps every batch, the others every epoch."""
    sched, kind = torch.optim.lr_scheduler, c["schedule"]
    if kind == "step":
        return sched.StepLR(opt, c["step_size"], c["gamma"])
    if kind == "cosine":
        return sched.CosineAnnealingLR(opt, c["epochs"])
    if kind == "onecycle":
        momentum = c["optimizer"] in ("sgd", "rmsprop") and c["momentum"] > 0
        cycle = c["optimizer"] in ("adam", "adamw") or momentum
        return sched.OneCycleLR(
            opt,
            [
                g["lr"] for g in opt.param_groups
            ],  # (fine-tuning: the pretrained layers' lower rate)
            epochs=c["epochs"],
            steps_per_epoch=steps_per_epoch,
            cycle_momentum=cycle,
        )
    if kind == "plateau":
        return sched.ReduceLROnPlateau(
            opt, factor=c["gamma"], patience=c["plateau_patience"]
        )
    return None


def end_epoch(c, sched, val_loss):
    """Step an epoch schedule after validation (plateau follows the validation loss)."""
    if sched is None or c["schedule"] == "onecycle":
        return
    if c["schedule"] == "plateau":
        sched.step(val_loss)
    else:
        sched.step()


def make_loss(c):
    """loss(outputs, target) for the task's resolved loss; a VAE's is its ELBO."""
    name, smoothing, roles = c["loss"], c["label_smoothing"], c["outputs"]
    if name == "vae":
        r, mu, logvar = roles["reconstruction"], roles["mu"], roles["logvar"]

        def elbo(out, target):
            rec = F.mse_loss(out[r], target, reduction="sum") / len(target)
            lv = out[logvar]
            kl = -0.5 * torch.sum(1 + lv - out[mu].pow(2) - lv.exp()) / len(target)
            return rec + kl

        return elbo

    def loss(out, target):
        out = out[0] if isinstance(out, tuple) else out
        if name in ("cross_entropy", "nll"):
            out = out.transpose(1, 2) if out.dim() == 3 else out  # (N, T, C) steps
            if name == "nll":
                return F.nll_loss(out, target)
            return F.cross_entropy(out, target, label_smoothing=smoothing)
        if name == "bce_with_logits":
            t = target.float().reshape(out.shape)
            if smoothing:  # towards 0.5: the two-class form of label smoothing
                t = t * (1 - smoothing) + 0.5 * smoothing
            return F.binary_cross_entropy_with_logits(out, t)
        fn = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}[name]
        same = out.numel() == target.numel()
        return fn(out, target.reshape(out.shape) if same else target)

    return loss


def main_output(c, out):
    """The output the task judges: the prediction, or a VAE's reconstruction."""
    if not isinstance(out, tuple):
        return out
    roles = c["outputs"]
    return out[roles.get("reconstruction", roles.get("prediction", 0))]


def add_noise(x, std, gen=None):
    """Gaussian input noise (real-valued inputs only)."""
    if not std or not x.is_floating_point():
        return x
    if gen is None:
        return x + std * torch.randn_like(x)
    return x + std * torch.randn(x.shape, generator=gen, device=x.device)


def augment(x, c, gen):
    """Random horizontal flips and padded random crops, per sample, for (N, C, H, W) images."""
    if x.dim() != 4:
        return x
    n, dev = len(x), x.device
    if c["augment_flip"]:
        flip = torch.rand(n, generator=gen, device=dev) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    p = c["augment_crop"]
    if p:
        h, w = x.shape[-2:]
        padded = F.pad(x, (p, p, p, p))
        dy = torch.randint(0, 2 * p + 1, (n,), generator=gen, device=dev)
        dx = torch.randint(0, 2 * p + 1, (n,), generator=gen, device=dev)
        rows = (dy[:, None] + torch.arange(h, device=dev))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=dev))[:, None, None, :]
        batch = torch.arange(n, device=dev)[:, None, None, None]
        chans = torch.arange(x.shape[1], device=dev)[None, :, None, None]
        x = padded[batch, chans, rows, cols]
    return x


def batches(n, c, gen, device, rank=0, world=1):
    """This epoch's batches of sample indexes: one permutation from ``gen``; with ``world`` processes,
    rank r takes every world-th sample (the same number on every rank)."""
    perm = torch.randperm(n, generator=gen, device=device)
    size, share = c["batch_size"], n // world
    mine = perm[rank::world][:share] if world > 1 else perm
    return [mine[i : i + size] for i in range(0, share, size)]


def make_step(model, opt, sched, c, loss_fn, gen, amp=None, scaler=None, watch=None):
    """step(x, y) -> (loss, watch(out) or None): one optimizer step on a batch. Every option is
    decided here, once, so the per-step path does only the work the run asked for."""
    augments = c["augment_flip"] or c["augment_crop"]
    params = [p for p in model.parameters() if p.requires_grad]
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    onecycle = sched if c["schedule"] == "onecycle" else None
    l1, clip, noise, own = c["l1"], c["grad_clip"], c["noise"], c["target"] == "x"

    def forward(inp, target):
        out = model(inp)
        loss = loss_fn(out, target)
        if l1:
            loss = loss + l1 * sum(w.abs().sum() for w in weights)
        return out, loss

    def step(xb, yb):
        target = xb if own else yb
        inp = augment(xb, c, gen) if augments else xb
        inp = add_noise(inp, noise)
        if amp is None:
            out, loss = forward(inp, target)
        else:
            with torch.autocast(xb.device.type, dtype=amp):
                out, loss = forward(inp, target)
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
        if clip:
            torch.nn.utils.clip_grad_norm_(params, clip)
        if scaler is None:
            opt.step()
        else:
            scaler.step(opt)
            scaler.update()
        if onecycle is not None:
            onecycle.step()
        return loss.detach(), watch(out) if watch else None

    return step


@torch.no_grad()
def evaluate(model, c, loss_fn, x, y, batch):
    """(mean loss, the outputs of every batch) on x, y in eval mode. A denoiser is judged on noisy
    inputs, the same noise every time."""
    model.eval()
    gen = torch.Generator(device=x.device).manual_seed(12345)
    outs, total, own = [], 0.0, c["target"] == "x"
    for i in range(0, len(x), batch):
        xb, yb = x[i : i + batch], y[i : i + batch]
        out = model(add_noise(xb, c["eval_noise"], gen))
        total += float(loss_fn(out, xb if own else yb)) * len(xb)
        outs.append(out)
    return total / max(len(x), 1), outs
