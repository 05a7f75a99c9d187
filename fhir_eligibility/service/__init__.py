"""CDS Hooks service: ``app`` (ASGI routes), ``prefetch`` (request -> patient data), ``security``
(client JWTs), ``feedback`` (append-only store), ``config`` and ``command`` (``serve``).

Imported lazily by the CLI (``command.register``) so other commands never load Starlette or uvicorn.
"""
