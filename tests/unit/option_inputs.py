"""Hypothesis strategies for option inputs, shared by the options maths tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

EPS = float(np.finfo(np.float64).eps)

kinds = st.sampled_from(["call", "put"])
spots = st.floats(1.0, 1000.0)
moneyness = st.floats(0.5, 2.0)  # K / S
years = st.floats(1 / 365, 3.0)
vols = st.floats(0.01, 5.0)
rates = st.floats(-0.01, 0.10)
dividends = st.floats(0.0, 0.06)
