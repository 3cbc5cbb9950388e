# The case number (受理编号, e.g. WS-ZL-2026-0007), given at the first submission (funding.case_numbers).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('funding', '0011_chinese_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='case_no',
            field=models.CharField(blank=True, editable=False, max_length=32, null=True, unique=True,
                                   verbose_name='受理编号'),
        ),
    ]
