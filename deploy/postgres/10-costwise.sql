-- The cost tables live in their own database and role, next to Temporal's; the worker applies
-- the schema itself (Flyway) on start.
CREATE ROLE costwise LOGIN PASSWORD 'costwise';
CREATE DATABASE costwise OWNER costwise;

-- Grafana reads the cost tables through a role that may only read them.
CREATE ROLE costwise_reader LOGIN PASSWORD 'costwise_reader';
\connect costwise
ALTER DEFAULT PRIVILEGES FOR ROLE costwise IN SCHEMA public GRANT SELECT ON TABLES TO costwise_reader;
GRANT USAGE ON SCHEMA public TO costwise_reader;
