"""The PostgreSQL backend (asyncpg): search.py is its SearchStore half,
search_schema.py the DDL that search adds to the base tables."""
