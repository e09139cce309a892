-- sql/roles.sql: the least-privilege roles of a ledger on PostgreSQL.
--
-- Four group roles (NOLOGIN), one a stage, granted what that stage's
-- statements need and nothing else:
--   ledger_ingest   meter-ingest: the usage records, their corrections and
--                   the key index; the ledger's counters (meta)
--   ledger_billing  meter-aggregate, rate and invoice-gen: reads the usage;
--                   prepaid credits, their draws, spending alerts, document
--                   numbers, invoices and issued documents
--   ledger_posting  erp-post and erp-send: reads the documents and the
--                   credits; journal postings, payments, receivables and
--                   erp-send's claims
--   ledger_audit    reconcile and auditors: reads every table, writes none
-- Every writing stage appends to the audit log (INSERT and SELECT, no
-- UPDATE or DELETE: none may rewrite it); every role reads meta, where
-- the ledger's schema version and counters are.
--
-- Run it as the ledger's owner, in the ledger's database, once the schema
-- is there (the first run of any stage as the owner creates it), and again
-- after an upgrade that adds tables; it may be run any number of times:
--   psql "postgresql://owner@db/ledger" -v ON_ERROR_STOP=1 \
--       -f /usr/local/share/usage-to-cash/roles.sql
-- (make install puts this file in $(PREFIX)/share/usage-to-cash/; it is
-- sql/roles.sql in the source tree)
-- then give the roles to the login roles of hosts and people:
--   CREATE ROLE ingest_eu1 LOGIN IN ROLE ledger_ingest;
--   GRANT ledger_audit TO auditor_jane;
-- Roles belong to the cluster, grants to the database: a second ledger in
-- the same cluster is run through this file too.  A stage refused by a
-- grant exits with PostgreSQL's "permission denied for table ..." and
-- changes nothing.
-- Derived from the statements of common/ldg_sqlite.c (whose table names
-- the PostgreSQL engine keeps) and the ledger.h calls of each cmd/*.c.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['ledger_ingest', 'ledger_billing',
	    'ledger_posting', 'ledger_audit'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	-- the schema the ledger's tables are in (the owner's search path)
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO ledger_ingest, '
	    'ledger_billing, ledger_posting, ledger_audit', current_schema());
	-- sequences the engine may keep for generated values
	EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO '
	    'ledger_ingest, ledger_billing, ledger_posting', current_schema());
	EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO ledger_audit',
	    current_schema());
END
$$;

-- Every stage: the schema version and the ledger's counters.
GRANT SELECT ON meta TO ledger_ingest, ledger_billing, ledger_posting;
-- Every writer appends to the audit log.
GRANT SELECT, INSERT ON audit TO ledger_ingest, ledger_billing, ledger_posting;

-- meter-ingest: usage records in blocks and the list of those a
-- correction replaced (--prune-before deletes blocks and rewrites the one
-- day it cuts; nothing updates them), corrections, the key index (its
-- batches merged into blocks, runs replaced); next_seq, key_gen and
-- pruned_before.
GRANT SELECT, INSERT, DELETE ON usage_block, usage_gone TO ledger_ingest;
GRANT SELECT, INSERT, UPDATE, DELETE ON usage_fix, ukey_batch, ukey_block,
    ukey_run TO ledger_ingest;
GRANT INSERT, UPDATE ON meta TO ledger_ingest;

-- meter-aggregate reads the usage; rate records grants once, replaces a
-- period's draw and its draws by grant, claims alerts; invoice-gen takes
-- numbers, records invoices (their state and version updated) and
-- documents (never changed), and claims alerts.
GRANT SELECT ON usage_block, usage_gone, usage_fix TO ledger_billing;
GRANT SELECT, INSERT ON credit_grant, rate_alert, doc TO ledger_billing;
GRANT SELECT, INSERT, UPDATE ON credit_draw, doc_seq, invoice TO ledger_billing;
GRANT SELECT, INSERT, DELETE ON credit_draw_grant TO ledger_billing;

-- erp-post reads the documents, invoices and credits it books; records
-- postings (their state updated on confirmation), payments (once) and
-- receivables (updated as paid); erp-send reads the postings and takes,
-- renews and drops its claims.
GRANT SELECT ON doc, invoice, credit_grant, credit_draw, credit_draw_grant
    TO ledger_posting;
GRANT SELECT, INSERT, UPDATE ON posting, receivable TO ledger_posting;
GRANT SELECT, INSERT ON payment TO ledger_posting;
GRANT SELECT, INSERT, UPDATE, DELETE ON send_claim TO ledger_posting;
