"""The constants of the counter-based random streams, in one place.

:mod:`crisislab.model.rng` (the NumPy specification) and :mod:`crisislab.model._jit` (the
compiled kernels) both read them from here, so the two cannot drift apart. The mixer is
SplitMix64's finaliser (Steele, Lea and Flood 2014); changing any value changes every
random number and every golden fingerprint.
"""

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: the Weyl step of SplitMix64
M1 = np.uint64(0xBF58476D1CE4E5B9)  # SplitMix64 finaliser, first multiplier
M2 = np.uint64(0x94D049BB133111EB)  # SplitMix64 finaliser, second multiplier
MEMBER = np.uint64(0xD1B54A32D192ED03)  # counter step between members of one draw
ATTEMPT = np.uint64(0x632BE59BD9B4E019)  # counter step between attempts of the polar method
S30, S27, S31, S11 = (np.uint64(k) for k in (30, 27, 31, 11))  # finaliser shifts
INV53 = 1.0 / 9007199254740992.0  # 2^-53: a 53-bit integer to a uniform in [0, 1)
