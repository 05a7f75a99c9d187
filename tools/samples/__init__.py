"""The synthetic sample patients ``tools/build_samples.py`` writes, split by base patient and theme."""
