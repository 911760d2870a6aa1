"""Background jobs: enqueue, run in a thread or on an RQ worker, progress, and the job page."""
