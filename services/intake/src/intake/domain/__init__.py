"""Intake's pure rules: what a request must say, how numbers are made, which lab message is
applied, when a sign-in is locked out. No I/O, no clock, no uuid generation: the use cases pass
``now`` and fresh ids in, and the stores hand typed records (``records.py``) out."""
