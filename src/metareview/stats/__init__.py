"""The numerics of metareview: effect sizes, pooling, heterogeneity, bias (numpy/scipy only)."""
