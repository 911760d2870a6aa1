"""People and access: accounts and login, administration, API tokens, access policy, audit log.

`policy.py` is the one table of who may do what; `audit.py` records who did it.
"""
