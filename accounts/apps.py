from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import policy
        from accounts.middleware import mark_login
        from accounts.verbs import register

        policy.load()
        user_logged_in.connect(mark_login, dispatch_uid="accounts.mark_login")
        register()
