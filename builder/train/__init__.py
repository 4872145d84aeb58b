"""Training: configuration, devices, the engine (a background worker with a run log), metrics."""

from .config import SCHEMA, resolve_config
from .devices import DeviceError, devices, resolve_device
from .engine import Control, Run, RunResult, Trainer, TrainError, train
from .events import Event, RunLog

__all__ = ["SCHEMA", "Control", "DeviceError", "Event", "Run", "RunLog", "RunResult", "TrainError", "Trainer",
           "devices", "resolve_config", "resolve_device", "train"]  # fmt: skip
