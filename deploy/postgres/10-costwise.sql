-- The cost tables live in their own database and role, next to Temporal's; the worker applies
-- the schema itself (Flyway) on start.
CREATE ROLE costwise LOGIN PASSWORD 'costwise';
CREATE DATABASE costwise OWNER costwise;
