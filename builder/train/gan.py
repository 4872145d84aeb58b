"""GAN training: alternating discriminator and generator updates with the non-saturating loss.

The design file holds both networks (``networks: {"generator": …, "discriminator": …}``). Each step the
discriminator learns to tell real samples (label 1) from generated ones (label 0); then the generator learns to
make the discriminator say 1 for its samples — maximizing log D(G(z)) rather than minimizing log(1 − D(G(z))),
which saturates early in training (Goodfellow et al., 2014). Images in [0, 1] are scaled to [−1, 1] when the
generator ends in Tanh.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from ..compile import build_model
from ..data import load_dataset
from ..validate import validate


def run_gan(trainer, device, result):
    from .engine import Stopped, _optimizer, _plain, _writer

    cfg, design, log = trainer.cfg, trainer.design, trainer.log
    data = load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options)
    g_design, d_design = design.networks["generator"], design.networks["discriminator"]
    z_shape = next(validate(g_design).nodes[n.id].shape for n in g_design.nodes if n.type == "Input")
    torch.manual_seed(cfg.seed)
    gen_net = build_model(g_design, seed=cfg.seed).to(device)
    disc = build_model(d_design, seed=cfg.seed + 1).to(device)
    trainer.model = gen_net
    output = next(n.id for n in g_design.nodes if n.type == "Output")
    last = g_design.source_of(output)
    tanh = last is not None and last.type == "Tanh" and data.spec.normalize == "none"
    x = torch.from_numpy(data.x_train).to(device)
    x = x * 2 - 1 if tanh else x
    opt_g, opt_d = _optimizer(cfg, gen_net.parameters()), _optimizer(cfg, disc.parameters())
    rng = torch.Generator(device=device).manual_seed(cfg.seed)
    fixed_z = torch.randn((64, *z_shape), generator=rng, device=device)  # the same noise for every sample grid
    n, writer = len(x), _writer(trainer.run_dir)
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    log.emit("started", run_id=trainer.run_id, device=str(device), dataset=cfg.dataset, task="gan", epochs=cfg.epochs,
             steps_per_epoch=steps_per_epoch, sizes=data.sizes, loss="non-saturating GAN",
             params=sum(p.numel() for p in gen_net.parameters()) + sum(p.numel() for p in disc.parameters()))  # fmt: skip
    t0, step = time.perf_counter(), 0
    ones = torch.ones(cfg.batch_size, 1, device=device)
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(n, generator=rng, device=device)
        sums = torch.zeros(4, device=device)
        for b in range(steps_per_epoch):
            if trainer.control.stop.is_set():
                raise Stopped
            trainer.control.wait_if_paused()
            real = x[perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]]
            k = len(real)
            fake = gen_net(torch.randn((k, *z_shape), generator=rng, device=device))
            d_real, d_fake = disc(real), disc(fake.detach())
            d_loss = F.binary_cross_entropy_with_logits(d_real, ones[:k]) + F.binary_cross_entropy_with_logits(
                d_fake, ones[:k] * 0
            )
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            g_loss = F.binary_cross_entropy_with_logits(disc(fake), ones[:k])  # non-saturating
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            step += 1
            sums += torch.stack([d_loss.detach(), g_loss.detach(), torch.sigmoid(d_real).mean().detach(),
                                 torch.sigmoid(d_fake).mean().detach()]) * k  # fmt: skip
        d_l, g_l, dx, dgz = (sums / n).tolist()
        if not all(map(math.isfinite, (d_l, g_l))):
            from .engine import TrainError

            raise TrainError(f"the GAN losses became NaN/infinite in epoch {epoch}. Lower the learning rate "
                             f"(now {cfg.lr:g}).")  # fmt: skip
        metrics = {"d_loss": d_l, "g_loss": g_l, "d_real": dx, "d_fake": dgz}
        result.epochs, result.metrics = epoch, {"train": metrics}
        payload = {"model": {"generator": gen_net.state_dict(), "discriminator": disc.state_dict()},
                   "optimizer": {"generator": opt_g.state_dict(), "discriminator": opt_d.state_dict()},
                   "epoch": epoch, "step": step, "run_id": trainer.run_id, "design": design.to_dict(),
                   "config": _plain(cfg), "metrics": _plain(result.metrics), "scale": "tanh" if tanh else "none"}  # fmt: skip
        trainer.saver.submit(payload, True)
        result.checkpoint = trainer.run_dir / "last.pt"
        elapsed = trainer.control.active_since(t0)  # pauses excluded
        log.emit("epoch", epoch=epoch, step=step, train=metrics, val={}, best=True, lr=cfg.lr,
                 seconds=elapsed / epoch, eta=elapsed / epoch * (cfg.epochs - epoch))  # fmt: skip
        from ..probes.views import gan_samples

        is_2d = len(data.spec.input_shape) == 1 and data.spec.input_shape[0] == 2
        snap = gan_samples(gen_net, fixed_z, disc if is_2d else None, x[:500] if is_2d else None)
        trainer._snapshot = {"step": step, "epoch": epoch, "gan": snap}
        log.emit("probe", payload=trainer._snapshot, step=step, epoch=epoch, probes=["gan"])
        trainer._save_snapshot(force=epoch == cfg.epochs)  # probes.pt: what the app shows after a restart
        if writer:
            for key, value in metrics.items():
                writer.add_scalar(f"gan/{key}", value, epoch)
            if len(data.spec.input_shape) == 3:
                with torch.no_grad():
                    grid = gen_net.eval()(fixed_z[:16])
                gen_net.train()
                writer.add_images("gan/samples", (grid + 1) / 2 if tanh else grid, epoch)
    trainer.saver.wait()
    result.status = "finished"
    result.metrics["test"] = dict(result.metrics["train"])
    log.emit("finished", metrics=_plain(result.metrics), checkpoint=str(result.checkpoint),
             logdir=str(trainer.run_dir), seconds=trainer.control.active_since(t0))  # fmt: skip
    if writer:
        writer.close()
    return gen_net
