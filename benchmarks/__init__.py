"""Benchmarks (`make bench`): Regie's figures next to their floor, measured in the same run."""
