"""Bibliographic records: import, deduplication, screening, active learning, PRISMA counts."""
