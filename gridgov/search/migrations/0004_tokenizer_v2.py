"""Tokenizer 2 (issue 10): every plausible reading of a name (单 shan and dan, 吕 lv/lu/lyu),
initials and surname + initials as their own keys (`j`, `h`), prefixes of them, and the address
keys b·r and u·r. Existing documents are brought up to date by the same code as
`gridgov reindex_search` (names and addresses tokenized again, phone and ID tokens kept); an empty
database costs nothing. Not atomic: on PostgreSQL the index is rebuilt on two connections after
the rows are committed."""

from django.db import migrations


def retokenize(apps, schema_editor):
    from gridgov.search.index import retokenize_all

    retokenize_all()


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0003_postgresql_index_halves"), ("registry", "0001_initial"), ("hierarchy", "0001_initial")]

    operations = [migrations.RunPython(retokenize, migrations.RunPython.noop)]
