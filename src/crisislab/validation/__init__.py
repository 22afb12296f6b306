"""Holding the model against history: stylized facts, the simulated generic crisis family,
calibration, and the EU decision backtest.

* :mod:`crisislab.validation.facts`: stylized facts from ICB, TIES, MID and GSDB, each
  with a seeded bootstrap 95 % CI.
* :mod:`crisislab.validation.tolerances`: the versioned tolerance file, written before any
  simulated comparison, with each fact's role (calibration, holdout or context).
* :mod:`crisislab.validation.family` (``generic.yaml``): the generic crisis family, seeded
  crisis draws and the doctrine mix; :mod:`crisislab.validation.simulated`: the simulated
  counterpart of each fact; :mod:`crisislab.validation.compare`: pass/fail
  (``crisislab validate``).
* :mod:`crisislab.validation.calibrate` (``calibration.yaml``): simulated method of moments
  on the calibration facts only (``crisislab validate calibrate``) and
  :func:`~crisislab.validation.calibrate.calibrated_scenario`.
* :mod:`crisislab.validation.deu3` and :mod:`crisislab.validation.mandate`: bargaining
  models scored on DEU III issues (``crisislab backtest deu3 FILE``).
"""

from crisislab.validation.deu3 import Deu3Data, Issue, backtest, load_deu3, parse_deu3
from crisislab.validation.facts import Fact, compute_facts
from crisislab.validation.mandate import MandateModel
from crisislab.validation.tolerances import ToleranceFile, load_tolerances

__all__ = [
    "Deu3Data",
    "Fact",
    "Issue",
    "MandateModel",
    "ToleranceFile",
    "backtest",
    "compute_facts",
    "load_deu3",
    "load_tolerances",
    "parse_deu3",
]
