"""The schemas shipped in the package are the contracts in ../shared, byte for byte."""

from __future__ import annotations

from importlib import resources

import pytest

from earwitness.schemas import load_schema
from tests.conftest import shared


@pytest.mark.parametrize("name", ["examination", "transcript"])
def test_shipped_schema_is_the_shared_contract(name: str) -> None:
    contract = shared(f"schemas/{name}.schema.json")
    shipped = resources.files("earwitness.schemas").joinpath(f"{name}.schema.json")
    assert shipped.read_bytes() == contract.read_bytes()
    assert load_schema(name)["type"] == "object"
