"""The make_inv fixture: an Inventory from hand-made assets, findings and skipped files."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from posture_samples import MakeInv

from aisec.core.findings import Finding
from aisec.inventory import Asset, Inventory, Skipped


@pytest.fixture
def make_inv() -> MakeInv:
    def make(
        assets: Sequence[Asset] = (),
        findings: Sequence[Finding] = (),
        skipped: Sequence[Skipped] = (),
        root: str = "/project",
    ) -> Inventory:
        return Inventory(
            root=root,
            assets=list(assets),
            findings=list(findings),
            summary={"files": len(assets)},
            skipped=list(skipped),
        )

    return make
