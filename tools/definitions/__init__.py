"""Trial-definition authoring helpers for ``tools/build_definitions.py`` (docs/encoding.md profile)."""
