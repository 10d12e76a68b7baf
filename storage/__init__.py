"""SQLAlchemy models, the queries the domain needs, and Alembic migrations. No business rules."""
