"""The LeanRails Checkout kit's benchmarks: ``make bench`` (``python -m benchmarks.run``).

Each benchmark measures the kit side by side with a baseline in the same run, alternating
the two so that a noisy machine slows both alike, and reports the median ratio. Results
are printed as a table and written as JSON to ``benchmarks/results/``.
"""
