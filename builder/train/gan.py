"""GAN training: alternating discriminator and generator updates with the non-saturating loss.

The design file holds both networks (``networks: {"generator": …, "discriminator": …}``). Each step the
discriminator learns to tell real samples (label 1) from generated ones (label 0); then the generator learns to
make the discriminator say 1 for its samples — maximizing log D(G(z)) rather than minimizing log(1 − D(G(z))),
which saturates early in training (Goodfellow et al., 2014). Images in [0, 1] are scaled to [−1, 1] when the
generator ends in Tanh. A loop strategy: it reaches the run only through the trainer's public hooks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data import Dataset, load_dataset
from . import recipe, tboard
from .errors import TrainError, plain


@dataclass
class GanState:
    data: Dataset
    x: torch.Tensor  # real samples on the device (scaled to [-1, 1] for a Tanh generator)
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    rng: torch.Generator
    z_shape: tuple[int, ...]
    fixed_z: torch.Tensor  # the same noise for every sample grid
    tanh: bool
    writer: object | None
    steps_per_epoch: int
    step: int = 0
    t0: float = 0.0


class GanLoop:
    def run(self, trainer, device, result):
        s = self.setup(trainer, device)
        cfg = trainer.cfg
        params = sum(p.numel() for net in (s.generator, s.discriminator) for p in net.parameters())
        trainer.emit(
            "started",
            run_id=trainer.run_id,
            device=str(device),
            dataset=cfg.dataset,
            task="gan",
            epochs=cfg.epochs,
            steps_per_epoch=s.steps_per_epoch,
            sizes=s.data.sizes,
            loss="non-saturating GAN",
            params=params,
        )
        s.t0 = time.perf_counter()
        for epoch in range(1, cfg.epochs + 1):
            metrics = self.epoch(trainer, s, epoch)
            self.end_epoch(trainer, s, epoch, metrics, result)
        trainer.saver.flush()
        result.metrics["test"] = dict(result.metrics["train"])
        trainer.finished(result, s.t0)
        if s.writer:
            s.writer.close()
        return s.generator

    def setup(self, trainer, device) -> GanState:
        cfg, p = trainer.cfg, trainer.plan
        data = load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options)
        g_plan, d_plan = p.network("generator"), p.network("discriminator")
        z_shape = g_plan.shape(g_plan.inputs[0])
        gen_net = recipe.new_model(g_plan.model_class, cfg.seed).to(device)
        disc = d_plan.new_model(seed=cfg.seed + 1).to(device)
        trainer.model = gen_net
        last = g_plan.design.source_of(g_plan.outputs[0])
        tanh = last is not None and last.type == "Tanh" and data.spec.normalize == "none"
        x = torch.from_numpy(data.x_train).to(device)
        rng = torch.Generator(device=device).manual_seed(cfg.seed)
        fixed_z = torch.randn((64, *z_shape), generator=rng, device=device)
        opt_g, opt_d = recipe.make_optimizer(cfg, gen_net.parameters()), recipe.make_optimizer(cfg, disc.parameters())
        return GanState(
            data,
            x * 2 - 1 if tanh else x,
            gen_net,
            disc,
            opt_g,
            opt_d,
            rng,
            z_shape,
            fixed_z,
            tanh,
            tboard.open_writer(trainer.run_dir),
            math.ceil(len(x) / cfg.batch_size),
        )

    def epoch(self, trainer, s: GanState, epoch: int) -> dict:
        batch, n = trainer.cfg.batch_size, len(s.x)
        perm = torch.randperm(n, generator=s.rng, device=s.x.device)
        sums = torch.zeros(4, device=s.x.device)
        ones = torch.ones(batch, 1, device=s.x.device)
        for b in range(s.steps_per_epoch):
            trainer.tick()
            real = s.x[perm[b * batch : (b + 1) * batch]]
            sums += self.step(s, real, ones[: len(real)]) * len(real)
            s.step += 1
        d_l, g_l, dx, dgz = (sums / n).tolist()
        if not all(map(math.isfinite, (d_l, g_l))):
            raise TrainError(
                f"the GAN losses became NaN/infinite in epoch {epoch}. Lower the learning rate "
                f"(now {trainer.cfg.lr:g})."
            )
        return {"d_loss": d_l, "g_loss": g_l, "d_real": dx, "d_fake": dgz}

    @staticmethod
    def step(s: GanState, real: torch.Tensor, ones: torch.Tensor) -> torch.Tensor:
        """One discriminator and one generator update -> (d_loss, g_loss, D(x), D(G(z))), detached."""
        fake = s.generator(torch.randn((len(real), *s.z_shape), generator=s.rng, device=real.device))
        d_real, d_fake = s.discriminator(real), s.discriminator(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(d_real, ones) + F.binary_cross_entropy_with_logits(d_fake, ones * 0)
        s.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        s.opt_d.step()
        g_loss = F.binary_cross_entropy_with_logits(s.discriminator(fake), ones)  # non-saturating
        s.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        s.opt_g.step()
        return torch.stack([d_loss, g_loss, torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()]).detach()

    def end_epoch(self, trainer, s: GanState, epoch: int, metrics: dict, result) -> None:
        cfg = trainer.cfg
        result.epochs, result.metrics = epoch, {"train": metrics}
        payload = {
            "model": {"generator": s.generator.state_dict(), "discriminator": s.discriminator.state_dict()},
            "optimizer": {"generator": s.opt_g.state_dict(), "discriminator": s.opt_d.state_dict()},
            "epoch": epoch,
            "step": s.step,
            "metrics": plain(result.metrics),
            "scale": "tanh" if s.tanh else "none",
        }
        trainer.save(payload, True)
        result.checkpoint = trainer.saver.last
        elapsed = trainer.elapsed(s.t0)  # pauses excluded
        trainer.emit(
            "epoch",
            epoch=epoch,
            step=s.step,
            train=metrics,
            val={},
            best=True,
            lr=cfg.lr,
            seconds=elapsed / epoch,
            eta=elapsed / epoch * (cfg.epochs - epoch),
        )
        self.samples(trainer, s, epoch)
        if s.writer:
            tboard.scalars(s.writer, {f"gan/{key}": value for key, value in metrics.items()}, epoch)
            if len(s.data.spec.input_shape) == 3:
                with torch.no_grad():
                    grid = s.generator.eval()(s.fixed_z[:16])
                s.generator.train()
                s.writer.add_images("gan/samples", (grid + 1) / 2 if s.tanh else grid, epoch)

    @staticmethod
    def samples(trainer, s: GanState, epoch: int) -> None:
        """The sample grid (and, for 2-D data, the discriminator's field) as a probe snapshot."""
        from ..probes.views import gan_samples

        shape = s.data.spec.input_shape
        is_2d = len(shape) == 1 and shape[0] == 2
        snap = gan_samples(s.generator, s.fixed_z, s.discriminator if is_2d else None, s.x[:500] if is_2d else None)
        trainer.publish({"step": s.step, "epoch": epoch, "gan": snap}, s.step, epoch)
        trainer.flush_snapshot(force=epoch == trainer.cfg.epochs)  # probes.pt: what the app shows after a restart
