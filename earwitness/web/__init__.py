"""The team workbench: ``earwitness serve``, a FastAPI application over one case.

Review, corrections, annotations, redaction, search and background jobs for a team, every
change a signed custody event naming the account that made it. The workbench's own database
(accounts, sessions, the review projection, the search index, the job queue) is SQLite in the
case folder by default, or PostgreSQL for a team server; the custody log stays the truth.
"""
