"""A site's own terminology, joined to the trials' concepts.

site.py      --terminology PATH: ConceptMaps (local code -> trial concept) and value-set
             includes, read and checked
site_apply.py   the mapped site codes added to the criteria trees at load time
site_value_sets.py  a site ValueSet's own codes (includes, expansion, less its excludes)
relationships.py    which ConceptMap relationships count, may be the concept, or never count
scope.py     the code system of a map group without ``source``, from the map's source scope
site_checks.py  what ``validate --terminology`` warns about: maps that do nothing or less than it seems
evidence.py  marks evidence that rests on a mapped code (original code, target, ConceptMap)
usage.py     the codes present in patient data that no criterion reads, with likely concepts
command.py   the ``codes`` command (and the ``--terminology`` option the other commands share)
"""
