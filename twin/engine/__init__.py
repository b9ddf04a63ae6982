"""The case engine: parts with small typed ports, composed by :mod:`twin.model`.

See ``docs/architecture.md`` for the parts and where to add a rule.
"""
