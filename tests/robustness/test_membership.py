"""Membership inference and DP training (acceptance 4): the advantage on a deliberately
overfit model is clearly higher than on a regularised one and on a DP-trained one."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from membership_models import fit, mlp, noisy_split
from sklearn.neural_network import MLPClassifier

from aisec.core.errors import InputError
from aisec.robustness import (
    Dataset,
    dp_train,
    membership_findings,
    membership_inference,
    unsupported_layers,
    wrap,
)


@pytest.fixture(scope="module")
def noisy() -> tuple[Dataset, Dataset]:
    return noisy_split()


def test_overfit_model_leaks_more_than_regularised_and_dp_trained(
    noisy: tuple[Dataset, Dataset],
) -> None:
    train, holdout = noisy
    torch.set_num_threads(1)
    overfit = membership_inference(wrap(fit(train, 300, 0.0)), train, holdout)
    regular = membership_inference(wrap(fit(train, 20, 1e-2)), train, holdout)
    dp = dp_train(mlp(), train.X, train.y, epochs=30, batch_size=64, lr=0.5,
                  target_epsilon=3.0, delta=1e-5)  # fmt: skip
    private = membership_inference(wrap(dp.module), train, holdout)
    assert 2.5 <= dp.epsilon <= 3.0 and dp.delta == 1e-5
    adv = {
        "overfit": overfit.attack("loss_threshold").advantage,
        "regularised": regular.attack("loss_threshold").advantage,
        "dp": private.attack("loss_threshold").advantage,
    }
    assert adv["overfit"] > 2 * adv["regularised"], adv
    assert adv["overfit"] > 3 * adv["dp"], adv
    assert overfit.attack("loss_threshold").auc > 0.7
    assert private.attack("loss_threshold").auc < 0.6
    assert membership_findings(overfit, "m") and not membership_findings(private, "m")
    assert overfit.skipped == (("shadow", "needs a scikit-learn model to clone, not pytorch"),)


def test_shadow_model_attack_on_a_scikit_learn_model(noisy: tuple[Dataset, Dataset]) -> None:
    train, holdout = noisy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((128,), alpha=0.0, max_iter=500, random_state=0)
        model.fit(train.X, train.y)
    result = membership_inference(wrap(model), train, holdout)
    shadow = result.attack("shadow")
    assert shadow.auc > 0.6 and shadow.advantage > 0.2
    assert 0 <= shadow.advantage_at_1pct_fpr <= shadow.tpr_at_1pct_fpr
    assert len(shadow.roc) == 101 and shadow.roc[0][0] == 0.0 and shadow.roc[-1] == (1.0, 1.0)
    # evaluated on the holdout half the shadow never saw: equal numbers of both
    assert result.members == result.non_members == 500


def test_dp_training_refuses_batchnorm() -> None:
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2)
    )
    assert unsupported_layers(model)
    x = np.zeros((16, 4), dtype=np.float32)
    with pytest.raises(InputError, match=r"Opacus cannot train this module privately.*BatchNorm"):
        dp_train(model, x, np.zeros(16, dtype=np.int64), noise_multiplier=1.0)


def test_dp_training_with_a_noise_multiplier_reports_epsilon() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    torch.manual_seed(0)
    result = dp_train(torch.nn.Linear(4, 2), x, y, epochs=3, noise_multiplier=1.0, delta=1e-5)
    assert result.epsilon > 0 and result.to_dict()["noise_multiplier"] == 1.0
    with pytest.raises(InputError, match="exactly one"):
        dp_train(torch.nn.Linear(4, 2), x, y)


def test_too_little_data_is_an_input_error(noisy: tuple[Dataset, Dataset]) -> None:
    train, holdout = noisy
    with pytest.raises(InputError, match="at least"):
        membership_inference(wrap(fit(train, 1, 0.0)), train, Dataset(holdout.X[:5], holdout.y[:5]))
