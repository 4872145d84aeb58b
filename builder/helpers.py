"""Modules for the builder-defined layers that torch.nn lacks.

Their source text is copied verbatim into every generated model that uses them (codegen reads it with
``inspect.getsource``), so an exported file needs torch only. Keep each class self-contained: torch and
math are the only names it may use.
"""

import math

import torch
from torch import nn


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise while training; the identity in eval mode."""

    def __init__(self, std=0.1):
        super().__init__()
        self.std = std

    def forward(self, x):
        if self.training and self.std > 0:
            return x + torch.randn_like(x) * self.std
        return x


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal position encoding of the Transformer to (N, T, E) inputs."""

    def __init__(self, d_model, max_len=512):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (T, 1)
        step = torch.arange(0, d_model, 2, dtype=torch.float32)
        div = torch.exp(step * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div[: d_model // 2])
        self.register_buffer("pe", pe, persistent=False)  # computed: not in state_dict

    def forward(self, x):
        return x + self.pe[: x.size(1)]


class Reparameterize(nn.Module):
    """The VAE sampling step: z = mu + exp(logvar / 2) * eps in training, mu in eval."""

    def forward(self, mu, logvar):
        if self.training:
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return mu
