"""Studies (instruments) built on the shared foundation: each a room of its own.

Packages and modules
--------------------
nok            the independent assessment of the quality of service conditions (НОК, Order 344n)
benchmarking   funnels that compare units of any study (e.g. Mystery Guest social workers)
"""
