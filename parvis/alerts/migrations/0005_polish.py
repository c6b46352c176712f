from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0004_pub_polish"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
