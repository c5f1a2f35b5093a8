from django.apps import AppConfig


class DataAccessConfig(AppConfig):
    name = "data_access"
    verbose_name = "Clients and contracts"

    def ready(self) -> None:
        from data_access import lookups  # noqa: F401  registers `in_integers`
