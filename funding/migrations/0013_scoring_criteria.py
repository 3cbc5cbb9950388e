# 评分细则 (Program.scoring_criteria, frozen on cases with the other rules) and the per-item scores of a
# review (Review.item_scores: hashed in the review chain when present, so older rows keep their hashes).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('funding', '0012_case_number'),
    ]

    operations = [
        migrations.AddField(
            model_name='program',
            name='scoring_criteria',
            field=models.JSONField(blank=True, default=list, verbose_name='评分细则'),
        ),
        migrations.AddField(
            model_name='review',
            name='item_scores',
            field=models.JSONField(blank=True, null=True, verbose_name='分项评分'),
        ),
    ]
