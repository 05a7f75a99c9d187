"""What each ConceptMap relationship means for a site code (terminology.site reads them, site_apply applies them).

Which ConceptMap targets count: those where the local (source) code means the trial concept or
something inside it, so a record with it proves the concept:
  R4/R4B ``equivalence``: equivalent, equal, wider, subsumes (the target is wider than the source)
  R5 ``relationship``: equivalent, source-is-narrower-than-target
A record may be the concept, never proves it: narrower, specializes, source-is-broader-than-target (the
local code may mean more than the concept): on a presence criterion (Conditions, procedures,
medications: closed world) such a record makes the answer unknown, so "none recorded" is never
read off a record the site says may be the concept; elsewhere (a lab's code) it is not read. Never:
relatedto, inexact, related-to (suggestions: ``codes --format conceptmap`` writes these so
nothing counts until a person edits them), unmatched, disjoint, not-related-to.

One module of its own because both the reader and the rewriter of the criteria trees need the same sets.
"""

from __future__ import annotations

COUNTS = frozenset({"equivalent", "equal", "wider", "subsumes", "source-is-narrower-than-target"})
MAYBE = frozenset({"narrower", "specializes", "source-is-broader-than-target"})
KNOWN = COUNTS | {
    "narrower",
    "specializes",
    "relatedto",
    "inexact",
    "unmatched",
    "disjoint",
    "related-to",
    "not-related-to",
    "source-is-broader-than-target",
}
SUGGESTIONS = frozenset({"relatedto", "inexact", "related-to"})
# each R4/R4B ``equivalence`` as R5 says it (R5's ConceptMap conversion): a target giving both must say one thing
AS_R5 = {
    "equivalent": "equivalent",
    "equal": "equivalent",
    "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target",
    "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target",
    "relatedto": "related-to",
    "inexact": "related-to",
    "unmatched": "not-related-to",
    "disjoint": "not-related-to",
}

__all__ = ["AS_R5", "COUNTS", "KNOWN", "MAYBE", "SUGGESTIONS"]
