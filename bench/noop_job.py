"""The baseline job of ``bench/pipeline.py``: does nothing, on the same worker class as collection."""


def noop(ticket_id: str) -> str:
    return ticket_id
