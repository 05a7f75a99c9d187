"""Units, calendar arithmetic and the derived-value registry: the room early in the flow that the
criteria (parse, validate), the requirements (planner) and the evaluation core all use.

Pure, and it imports no other room of the package (only ``codes``), so nothing here can make the
flow run backwards (criteria -> requirements -> retrieval -> evaluation -> report).
"""
