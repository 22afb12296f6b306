"""Doctrines: the six strategies named in the sources, plus user doctrines in YAML or Python.

>>> sorted(PRESETS)
['conditionality', 'isolation', 'mediated_offramp', 'open_channels', 'test_by_offer', 'unilateral_outreach']
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from crisislab.doctrines.base import Doctrine
from crisislab.doctrines.presets import PRESETS
from crisislab.doctrines.rules import RuleDoctrine, load_rule_doctrine
from crisislab.errors import InputError, Problem


def get_doctrine(spec: str | Doctrine, **params: Any) -> Doctrine:
    """A doctrine by preset name, YAML file (``my.yaml``) or Python class (``file.py:Class``)."""
    if isinstance(spec, Doctrine):
        return spec
    if spec in PRESETS:
        return PRESETS[spec](**params)
    if spec.endswith((".yaml", ".yml")):
        return load_rule_doctrine(spec)
    if ".py:" in spec:
        file, _, cls_name = spec.partition(":")
        path = Path(file)
        if not path.exists():
            raise InputError(file, [Problem("(path)", "no such file", "a Python file defining a Doctrine subclass")], summary="cannot be found")
        mod_spec = importlib.util.spec_from_file_location(f"user_doctrine_{path.stem}", path)
        assert mod_spec and mod_spec.loader
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        cls = getattr(module, cls_name, None)
        if not (isinstance(cls, type) and issubclass(cls, Doctrine)):
            raise InputError(spec, [Problem(cls_name, "no Doctrine subclass of that name", "a class derived from crisislab.doctrines.Doctrine")])
        return cls(**params)
    raise InputError(
        "--doctrine",
        [Problem("(name)", repr(spec), f"one of {', '.join(PRESETS)}, a YAML file, or file.py:Class")],
        summary="names no doctrine",
    )


__all__ = ["PRESETS", "Doctrine", "RuleDoctrine", "get_doctrine", "load_rule_doctrine"]
