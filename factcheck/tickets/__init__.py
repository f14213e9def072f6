"""Ticket services: intake, queries, the audit/outbox journal and the JSON representation."""
