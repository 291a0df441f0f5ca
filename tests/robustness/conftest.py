"""Models and data sets built in the tests (scikit-learn's digits; a noisy synthetic set)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from aisec.robustness import Dataset


@pytest.fixture(scope="session")
def digits() -> tuple[LogisticRegression, Dataset]:
    """A logistic regression on scikit-learn's digits (pixels scaled to [0, 1]) and 300
    test records."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    return model, Dataset(x_test[:300], y_test[:300].astype(np.int64))
