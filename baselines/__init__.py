"""Baselines: one module per paper (or detector family), one YAML per configuration.

The registry is ``conf/baseline/*.yaml``; nothing here needs registering.
"""
