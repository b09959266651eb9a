"""The data standard: the extraction table, its readers and its validation."""
