"""A site's own terminology, joined to the trials' concepts.

site.py      --terminology PATH: ConceptMaps (local code -> trial concept) and value-set
             includes, applied to the criteria trees at load time
evidence.py  marks evidence that rests on a mapped code (original code, target, ConceptMap)
usage.py     the codes present in patient data that no criterion reads, with likely concepts
command.py   the ``codes`` command (and the ``--terminology`` option the other commands share)
"""
