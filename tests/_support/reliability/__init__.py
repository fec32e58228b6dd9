"""Harness of the reliability tests and of tests/soak: fuzzing, differentials, faults, races."""
