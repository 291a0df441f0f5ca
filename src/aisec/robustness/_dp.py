"""Differentially private training of PyTorch classifiers with Opacus (DP-SGD).

    from aisec.robustness import dp_train
    result = dp_train(module, x, y, epochs=30, target_epsilon=3.0, delta=1e-5)
    result.epsilon, result.delta, result.module

Opacus is optional (``pip install opacus``); without it :func:`dp_train` raises an error
that says so. A module with a layer Opacus cannot train privately (BatchNorm, which
mixes records of a batch; layers it has no per-sample gradient for) is refused with the
list of layers, never silently replaced. The reported epsilon is the accountant's (RDP)
for the given delta, after the whole training.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aisec.core.errors import AisecError, InputError

__all__ = ["DPResult", "DPUnavailableError", "dp_train"]


class DPUnavailableError(AisecError):
    """Opacus (and PyTorch) are needed for DP training and are not installed."""


@dataclass
class DPResult:
    module: Any
    epsilon: float
    delta: float
    noise_multiplier: float
    epochs: int
    sample_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon": round(self.epsilon, 4),
            "delta": self.delta,
            "noise_multiplier": round(self.noise_multiplier, 4),
            "epochs": self.epochs,
            "sample_rate": round(self.sample_rate, 6),
        }


def unsupported_layers(module: Any) -> list[str]:
    """Why Opacus cannot train ``module`` privately, one line per offending layer."""
    try:
        from opacus.validators import ModuleValidator  # type: ignore[import-untyped]
    except ImportError:
        raise DPUnavailableError(
            "DP training needs Opacus: pip install opacus (and torch)"
        ) from None
    return [str(err) for err in ModuleValidator.validate(module, strict=False)]


def dp_train(
    module: Any,
    x: NDArray[np.floating[Any]],
    y: NDArray[np.integer[Any]],
    *,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 0.1,
    max_grad_norm: float = 1.0,
    delta: float = 1e-5,
    target_epsilon: float | None = None,
    noise_multiplier: float | None = None,
    seed: int = 0,
) -> DPResult:
    """Train ``module`` (logits out) on (x, y) with DP-SGD; ε for ``delta`` from the
    accountant. Give ``target_epsilon`` (noise chosen to reach it) or ``noise_multiplier``."""
    try:
        import torch
        from opacus import PrivacyEngine  # type: ignore[import-untyped]
    except ImportError:
        raise DPUnavailableError(
            "DP training needs Opacus: pip install opacus (and torch)"
        ) from None
    if (target_epsilon is None) == (noise_multiplier is None):
        raise InputError("dp_train: give exactly one of target_epsilon and noise_multiplier")
    if not 0 < delta < 1 or epochs < 1 or batch_size < 1 or len(y) < 2:
        raise InputError("dp_train: need 0 < delta < 1, epochs >= 1, batch_size >= 1, data")
    problems = unsupported_layers(module)
    if problems:
        raise InputError("Opacus cannot train this module privately: " + "; ".join(problems))
    torch.manual_seed(seed)
    data = torch.utils.data.TensorDataset(
        torch.as_tensor(np.asarray(x, dtype=np.float32)),
        torch.as_tensor(np.asarray(y, dtype=np.int64)),
    )
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    module.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Opacus warns about secure RNG off and full backward hooks
        engine = PrivacyEngine(accountant="rdp")
        if target_epsilon is not None:
            module, optimizer, loader = engine.make_private_with_epsilon(
                module=module, optimizer=optimizer, data_loader=loader, epochs=epochs,
                target_epsilon=target_epsilon, target_delta=delta, max_grad_norm=max_grad_norm,
            )  # fmt: skip
        else:
            module, optimizer, loader = engine.make_private(
                module=module, optimizer=optimizer, data_loader=loader,
                noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm,
            )  # fmt: skip
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            for xb, yb in loader:
                if len(yb) == 0:
                    continue
                optimizer.zero_grad()
                loss_fn(module(xb), yb).backward()
                optimizer.step()
        epsilon = float(engine.get_epsilon(delta))
    module.eval()
    if hasattr(module, "remove_hooks"):  # the GradSampleModule: hand back the plain module
        module.remove_hooks()
    plain = getattr(module, "_module", module)
    for param in plain.parameters():
        param.grad_sample = None
        param.grad = None
    return DPResult(
        module=plain,
        epsilon=epsilon,
        delta=delta,
        noise_multiplier=float(optimizer.noise_multiplier),
        epochs=epochs,
        sample_rate=float(1 / len(loader)),
    )
