"""Contracts sharded by tenant.

- `statements`: the single-tenant rule every statement on the contracts database
  follows, so that a tenant-keyed router sends it to one shard.
- `spider`: a MariaDB Spider head over shards, its tables generated from the
  tables the migrations make.
- `backend`: the Django database backend for a Spider head (`spider://` URLs).
"""
