"""Each dossier carries its auditeur's names in one column, indexed with its centre.

``dossiers.queue.search`` looks for a word anywhere in the auditeur's names, ENF
identifier and numéro d'auditeur. Through the accounts' and profiles' trigram indexes
(auditeurs 0002) a frequent name ("martin": 5,000 of 100,000 auditeurs) made
PostgreSQL read and recheck those 5,000 accounts and profiles at every search, to
keep the 200 of one centre (~20 ms a search; benchmarks/load.py). Here the seven texts
are copied onto each dossier, upper-cased and one per line, in ``search_text``; one
GIN index over ``(centre_id, search_text)`` (btree_gin, pg_trgm) hands over the
centre's matching dossiers alone (~1 ms); a partial one over the transmitted dossiers
serves the DNF's search.

The copy is kept by PostgreSQL itself, whatever writes the rows (forms, the admin,
CSV imports, ``update()``, the retention job, COPY): a trigger fills it when a dossier
is inserted or changes auditeur, and rewrites the auditeur's dossiers when his/her
account's or profile's searched texts change. It is not a field of the model: nothing
in Python reads or writes it but the search.

PostgreSQL only: the embedded SQLite of local development keeps searching the
accounts and profiles directly (``dossiers.queue.search``).
"""

from django.db import migrations

FORWARD = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE dossiers_dossier ADD COLUMN search_text text NOT NULL DEFAULT '';

-- One text per line: a searched word holds no white space, so it never matches across
-- two of them.
CREATE FUNCTION d3_auditeur_search_text(auditeur bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT UPPER(concat_ws(E'\n', u.first_name, u.last_name, u.username,
                           p.birth_name, p.usage_name, p.first_names, p.auditeur_number))
    FROM auditeurs_user u LEFT JOIN auditeurs_auditeurprofile p ON p.user_id = u.id
    WHERE u.id = auditeur
$$;

CREATE FUNCTION d3_dossier_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := coalesce(d3_auditeur_search_text(NEW.auditeur_id), '');
    RETURN NEW;
END
$$;

CREATE TRIGGER dossier_search_text
BEFORE INSERT OR UPDATE OF auditeur_id ON dossiers_dossier
FOR EACH ROW EXECUTE FUNCTION d3_dossier_search_text();

-- An account or a profile changed: its auditeur's dossiers (none for staff).
CREATE FUNCTION d3_refresh_dossiers_search_text(auditeur bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE dossiers_dossier
    SET search_text = coalesce(d3_auditeur_search_text(auditeur), '')
    WHERE auditeur_id = auditeur
$$;

CREATE FUNCTION d3_auditeur_dossiers_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Nested IFs: PL/pgSQL evaluates every operand, and OLD has no user_id on an INSERT.
    IF TG_TABLE_NAME = 'auditeurs_user' THEN
        PERFORM d3_refresh_dossiers_search_text(NEW.id);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM d3_refresh_dossiers_search_text(NEW.user_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM d3_refresh_dossiers_search_text(OLD.user_id);
    ELSE
        PERFORM d3_refresh_dossiers_search_text(NEW.user_id);
        IF OLD.user_id <> NEW.user_id THEN
            PERFORM d3_refresh_dossiers_search_text(OLD.user_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- WHEN: a log-in (last_login) or a profile's address does not rewrite any dossier.
CREATE TRIGGER user_dossiers_search_text
AFTER UPDATE OF first_name, last_name, username ON auditeurs_user
FOR EACH ROW
WHEN ((OLD.first_name, OLD.last_name, OLD.username)
      IS DISTINCT FROM (NEW.first_name, NEW.last_name, NEW.username))
EXECUTE FUNCTION d3_auditeur_dossiers_search_text();

CREATE TRIGGER profile_dossiers_search_text_update
AFTER UPDATE OF birth_name, usage_name, first_names, auditeur_number, user_id
ON auditeurs_auditeurprofile
FOR EACH ROW
WHEN ((OLD.birth_name, OLD.usage_name, OLD.first_names, OLD.auditeur_number, OLD.user_id)
      IS DISTINCT FROM
      (NEW.birth_name, NEW.usage_name, NEW.first_names, NEW.auditeur_number, NEW.user_id))
EXECUTE FUNCTION d3_auditeur_dossiers_search_text();

CREATE TRIGGER profile_dossiers_search_text_insert_delete
AFTER INSERT OR DELETE ON auditeurs_auditeurprofile
FOR EACH ROW EXECUTE FUNCTION d3_auditeur_dossiers_search_text();

UPDATE dossiers_dossier SET search_text = coalesce(d3_auditeur_search_text(auditeur_id), '');

CREATE INDEX dossier_centre_search ON dossiers_dossier
USING gin (centre_id, search_text gin_trgm_ops);

-- The DNF searches every centre's transmitted dossiers (jury.selectors): only those
-- are in this one, so that the rows rechecked are the DNF's matches, not every state's.
CREATE INDEX dossier_dnf_search ON dossiers_dossier
USING gin (search_text gin_trgm_ops)
WHERE state IN ('transmis_dnf', 'inscrit_jury', 'decision_rendue', 'courrier_envoye');
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS profile_dossiers_search_text_insert_delete ON auditeurs_auditeurprofile;
DROP TRIGGER IF EXISTS profile_dossiers_search_text_update ON auditeurs_auditeurprofile;
DROP TRIGGER IF EXISTS user_dossiers_search_text ON auditeurs_user;
DROP TRIGGER IF EXISTS dossier_search_text ON dossiers_dossier;
DROP FUNCTION IF EXISTS d3_auditeur_dossiers_search_text();
DROP FUNCTION IF EXISTS d3_refresh_dossiers_search_text(bigint);
DROP FUNCTION IF EXISTS d3_dossier_search_text();
DROP FUNCTION IF EXISTS d3_auditeur_search_text(bigint);
DROP INDEX IF EXISTS dossier_dnf_search;
DROP INDEX IF EXISTS dossier_centre_search;
ALTER TABLE dossiers_dossier DROP COLUMN IF EXISTS search_text;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0009_dossier_list_indexes"),
        ("auditeurs", "0002_search_trigram_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
