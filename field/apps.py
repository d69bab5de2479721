from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "field"
    verbose_name = "现场采集"
