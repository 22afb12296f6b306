"""Experiments: paired runs, sweeps, sensitivity analysis, scenario discovery, robust choice."""
