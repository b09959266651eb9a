"""Small-study effects and publication bias: funnel data, regression and rank tests,
trim-and-fill, PET-PEESE, fail-safe N and step-function selection models."""
