"""One exception tree; each class carries the CLI exit code it maps to.

    EligibilityError                 exit 1
    +-- DefinitionError              exit 1  definitions fail validation
    +-- InputError                   exit 2  unusable input: missing file, not JSON, not FHIR
    +-- RetrievalError               exit 2  a data source cannot be used at all
    |   +-- AuthorizationError       exit 3  401/403 from a FHIR server or token endpoint
    +-- OutputError                  exit 2  the report cannot be written (-o folder missing, disk full)
    +-- WorkerDied                   exit 2  a worker process died (out of memory, killed, crashed)

Inside the evaluation core errors are values (an UNKNOWN result with a reason), never
exceptions: one broken resource or criterion must not abort a screening.
"""

from __future__ import annotations


class EligibilityError(Exception):
    exit_code = 1


class DefinitionError(EligibilityError):
    exit_code = 1


class InputError(EligibilityError):
    exit_code = 2


class RetrievalError(EligibilityError):
    exit_code = 2


class AuthorizationError(RetrievalError):
    exit_code = 3


class OutputError(EligibilityError):
    exit_code = 2


class WorkerDied(EligibilityError):
    """A worker process ended without answering (the OOM killer, a signal, a crash in a C extension):
    its patients have no result, so the run stops with one line instead of waiting for ever."""

    exit_code = 2
