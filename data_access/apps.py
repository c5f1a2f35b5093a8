from django.apps import AppConfig


class DataAccessConfig(AppConfig):
    name = "data_access"
    verbose_name = "Clients and contracts"
