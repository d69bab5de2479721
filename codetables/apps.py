from django.apps import AppConfig


class CodetablesConfig(AppConfig):
    name = "codetables"
    verbose_name = "代码表"
