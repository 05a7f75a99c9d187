"""Authoring trials without Python: ClinicalTrials.gov import, reviewable rules, R6 Group in and out."""
