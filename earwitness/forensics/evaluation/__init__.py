"""Evaluation of evidence as likelihood ratios: calibration, validation metrics, verbal scale."""
