"""People and access: accounts and login, administration, API tokens, the access policy, the audit log.

`policy.py` is the one table of who may do what; `audit.py` records who did it.
"""
