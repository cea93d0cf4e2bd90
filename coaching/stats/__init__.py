"""The statistics engine: Bayesian experiment readouts as pure, vectorized functions (no I/O).

Every function takes arrays (one element per experiment x variant x metric row) and returns
arrays, so ten thousand experiments cost one pass of NumPy/SciPy kernels, not ten thousand loops.
"""
