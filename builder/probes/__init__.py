"""Looking inside the user's own model: plain arrays, no plotting (see builder.figures), no UI.

Usable on any built model, with or without training; during training the engine takes snapshots at an
interval (``training.probe_every``) and publishes them in the run log.
"""

from .stats import activation_stats, decision_boundary, embedding_pca, reconstructions, weight_stats
from .views import attention_weights, feature_maps, gan_samples, recurrent_gates

__all__ = ["activation_stats", "attention_weights", "decision_boundary", "embedding_pca", "feature_maps",
           "gan_samples", "reconstructions", "recurrent_gates", "weight_stats"]  # fmt: skip
