"""The two admin sites: each tenant's own (tenant.py) and the platform's (public.py)."""
