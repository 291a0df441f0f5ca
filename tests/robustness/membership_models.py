"""The models of acceptance 4, shared by tests/robustness/test_membership.py and
benchmarks/robustness.py: a noisy 4-class data set split into 500 training and 500
holdout records, and an MLP trained to overfit it or regularised."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import make_classification

from aisec.robustness import Dataset


def noisy_split() -> tuple[Dataset, Dataset]:
    """4 classes, 15% flipped labels: an overfit model memorises the flips."""
    x, y = make_classification(
        n_samples=3000, n_features=20, n_informative=8, n_classes=4, flip_y=0.15,
        random_state=0,
    )  # fmt: skip
    x = x.astype(np.float32)
    return Dataset(x[:500], y[:500]), Dataset(x[500:], y[500:])


def mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 4))


def fit(train: Dataset, epochs: int, weight_decay: float) -> torch.nn.Module:
    """SGD with momentum, batches of 32, seeded: 300 epochs and no weight decay overfit."""
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay)
    x, y = torch.tensor(train.X), torch.tensor(train.y)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), 32):
            batch = order[i : i + 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    return model.eval()
