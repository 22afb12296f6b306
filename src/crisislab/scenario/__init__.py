"""Scenarios: schema, loading with clear errors, and the scenarios that ship."""

from crisislab.scenario.load import (
    DEFAULT_SCENARIO,
    apply_overrides,
    json_schema,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
    shipped,
)
from crisislab.scenario.schema import LADDER, Scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "LADDER",
    "Scenario",
    "apply_overrides",
    "json_schema",
    "load_scenario",
    "scenario_from_dict",
    "scenario_hash",
    "shipped",
]
