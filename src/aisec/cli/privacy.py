"""``aisec privacy dp-train``: train a small classifier with DP-SGD (Opacus), report epsilon."""

from __future__ import annotations

import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aisec.core.errors import InputError

privacy_app = typer.Typer(
    help="Privacy: train with differential privacy and report the epsilon spent.",
    no_args_is_help=True,
)


class Fmt(StrEnum):
    TABLE = "table"
    JSON = "json"


@privacy_app.command("dp-train")
def dp_train_cmd(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help=".npz (X, y), CSV or Parquet training data.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Write the trained model here (TorchScript).")
    ],
    hidden: Annotated[
        int, typer.Option("--hidden", min=1, max=4096, help="Hidden units of the MLP.")
    ] = 128,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, max=10000, help="Passes over the data.")
    ] = 20,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Expected records per batch.")
    ] = 64,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="SGD learning rate.")] = 0.5,
    target_epsilon: Annotated[
        float | None, typer.Option("--target-epsilon", help="Choose the noise to spend this.")
    ] = None,
    noise_multiplier: Annotated[
        float | None, typer.Option("--noise-multiplier", help="Or fix the noise instead.")
    ] = None,
    delta: Annotated[float, typer.Option("--delta", help="The delta epsilon is for.")] = 1e-5,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", min=0.0, help="Per-record gradient clip.")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of weights and batches.")] = 0,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="table or json.")] = Fmt.TABLE,
) -> None:
    """Train an MLP classifier (input-HIDDEN-classes) with DP-SGD and report epsilon.

    Example: aisec privacy dp-train train.npz --out model.pt --target-epsilon 3 --delta 1e-5
    """
    import json

    import numpy as np

    from aisec.core.audit import record
    from aisec.core.authz import authorize
    from aisec.core.home import ensure_home
    from aisec.robustness import dp_train, load_data

    authorize("scan.run")
    if target_epsilon is not None and noise_multiplier is not None:
        raise InputError("give --target-epsilon or --noise-multiplier, not both")
    if target_epsilon is None and noise_multiplier is None:
        target_epsilon = 3.0
    if out.is_dir():
        raise InputError(f"{out} is a folder; give a file name to write")
    dataset = load_data(data)
    if dataset.X.ndim != 2 or int(dataset.y.min()) < 0:
        raise InputError(f"{data}: expected 2-D features and labels 0..k-1")
    try:
        import torch
    except ImportError:
        raise InputError("DP training needs PyTorch and Opacus: pip install torch opacus") from None
    torch.manual_seed(seed)
    classes = int(dataset.y.max()) + 1
    module = torch.nn.Sequential(
        torch.nn.Linear(dataset.X.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes),
    )
    result = dp_train(
        module, dataset.X, dataset.y, epochs=epochs, batch_size=batch_size, lr=lr,
        max_grad_norm=max_grad_norm, delta=delta, target_epsilon=target_epsilon,
        noise_multiplier=noise_multiplier, seed=seed,
    )  # fmt: skip
    trained = result.module.eval()
    with torch.no_grad():
        pred = trained(torch.as_tensor(dataset.X)).argmax(dim=1).numpy()
    accuracy = float(np.mean(pred == dataset.y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit, torch >= 2.10
        scripted = torch.jit.script(trained)
        torch.jit.save(scripted, str(out))
    ensure_home()
    record(
        "privacy.dp-train",
        str(out)[:500],
        details={"epsilon": round(result.epsilon, 4), "delta": delta, "epochs": epochs},
    )
    doc = {**result.to_dict(), "train_accuracy": round(accuracy, 6), "model": str(out)}
    if fmt is Fmt.JSON:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(
            f"trained {out} with DP-SGD: epsilon {result.epsilon:.3f} for delta {delta:g} "
            f"(noise multiplier {result.noise_multiplier:.3f}, {epochs} epochs, sample rate "
            f"{result.sample_rate:.4f}); training accuracy {accuracy:.3f}\n"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
