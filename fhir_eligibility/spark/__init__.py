"""Screening on Apache Spark (``fhir-eligibility screen --engine spark``); needs the ``spark`` extra.

Importing this package does not import pyspark: :mod:`.engine` and :mod:`.session` do, lazily,
and :mod:`.tasks` (what executors run) never does.
"""
