"""The database side of the keyword index (see gridgov.search.index): an FTS5 table kept by
triggers on SQLite, a GIN index over an immutable key function on PostgreSQL."""

from django.db import migrations

SQLITE_SCOPE = " || ".join(f"' s' || substr({{row}}.path, 1, {n})" for n in (6, 12, 24, 36, 51))
SQLITE_NEW = "new.tokens || " + SQLITE_SCOPE.format(row="new")
SQLITE_OLD = "old.tokens || " + SQLITE_SCOPE.format(row="old")
SQLITE_INSERT = f"INSERT INTO search_fts (rowid, keys) VALUES (new.id, {SQLITE_NEW});"
SQLITE_DELETE = f"INSERT INTO search_fts (search_fts, rowid, keys) VALUES ('delete', old.id, {SQLITE_OLD});"
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(keys, content='', detail=none, tokenize='ascii')",
    f"CREATE TRIGGER IF NOT EXISTS search_doc_insert AFTER INSERT ON search_searchdoc BEGIN {SQLITE_INSERT} END",
    f"CREATE TRIGGER IF NOT EXISTS search_doc_delete AFTER DELETE ON search_searchdoc BEGIN {SQLITE_DELETE} END",
    "CREATE TRIGGER IF NOT EXISTS search_doc_update AFTER UPDATE OF path, tokens ON search_searchdoc "
    f"BEGIN {SQLITE_DELETE} {SQLITE_INSERT} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_doc_insert",
    "DROP TRIGGER IF EXISTS search_doc_delete",
    "DROP TRIGGER IF EXISTS search_doc_update",
    "DROP TABLE IF EXISTS search_fts",
]
PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION search_doc_keys(tokens text, path text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(substr(path, 7, 6) || t), '{}'::text[])
         || ARRAY['s' || left(path, 24), 's' || left(path, 36), 's' || left(path, 51)]
  FROM unnest(string_to_array(tokens, ' ')) AS t
$$""",
    'CREATE INDEX IF NOT EXISTS search_doc_keys_gin ON search_searchdoc USING gin '
    '((search_doc_keys(tokens, path) COLLATE "C")) WITH (fastupdate = off)',
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_keys_gin",
    "DROP FUNCTION IF EXISTS search_doc_keys(text, text)",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}),
                             _run({"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD})),
    ]
