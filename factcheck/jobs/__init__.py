"""RQ job functions. They take ids, run inside an app context, and are idempotent."""
