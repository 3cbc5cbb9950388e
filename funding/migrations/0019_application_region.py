import django.db.models.deletion
from django.db import migrations, models

# Each application's region is its program's (a program never changes region).
BACKFILL = ("UPDATE funding_application SET region_id = "
            "(SELECT region_id FROM funding_program WHERE funding_program.id = funding_application.program_id)")


class Migration(migrations.Migration):

    dependencies = [
        ("applicants", "0005_chinese_labels"),
        ("funding", "0018_application_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="region",
            field=models.ForeignKey(db_index=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="applicants.region", verbose_name="行政区"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="application",
            name="region",
            field=models.ForeignKey(db_index=False, editable=False,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="applicants.region", verbose_name="行政区"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["region", "id"], name="application_region_newest"),
        ),
        migrations.AddField(
            model_name="applicationcount",
            name="region",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="applicants.region", verbose_name="行政区"),
        ),
        migrations.RunSQL("UPDATE funding_applicationcount SET region_id = (SELECT region_id FROM funding_program "
                          "WHERE funding_program.id = funding_applicationcount.program_id)", migrations.RunSQL.noop),
    ]
