"""The dial-in number's uniqueness as a named constraint, without the pattern-ops index.

`unique=True` on a CharField makes Django add a second index on PostgreSQL (varchar_pattern_ops,
for LIKE 'prefix%'). No query uses it — number searches are contains/icontains — and every issued
number paid for it (about 7 % of issuance at 10,000 numbers, bench/issuance.py). The unique index
itself is kept and only renamed, so nothing is rebuilt. SQLite keeps its column-level UNIQUE (a
rebuild there would drop the tables' guard triggers); the state is the same either way. Frozen SQL.
"""

from django.db import migrations, models

TABLE = "numbering_dialinnumber"

FORWARD = [
    f"DROP INDEX IF EXISTS {TABLE}_number_cd0d6194_like",
    f"ALTER TABLE {TABLE} RENAME CONSTRAINT {TABLE}_number_key TO dialin_number_unique",
]
BACKWARD = [
    f"ALTER TABLE {TABLE} RENAME CONSTRAINT dialin_number_unique TO {TABLE}_number_key",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_number_cd0d6194_like ON {TABLE} (number varchar_pattern_ops)",
]


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("numbering", "0009_reference_lock_per_contract")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dialinnumber",
                    name="number",
                    field=models.CharField(max_length=11, verbose_name="ダイヤルイン番号"),
                ),
                migrations.AddConstraint(
                    model_name="dialinnumber",
                    constraint=models.UniqueConstraint(fields=("number",), name="dialin_number_unique"),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
