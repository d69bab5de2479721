from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = "危房改造"
