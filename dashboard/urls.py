from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("panels/<slug:name>/", views.panel, name="panel"),
    path("clients/export.csv", views.export_clients, name="export_clients"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("contracts/", views.contracts, name="contracts"),
    path("import/", views.import_csv, name="import"),
    path("views/save/", views.save_view, name="save_view"),
    path("views/<int:view_id>/delete/", views.delete_view, name="delete_view"),
    path("contracts/summary/", views.contracts_summary, name="contracts_summary"),
    path("contracts/clients/", views.contract_client_choices, name="contract_client_choices"),
    path("contracts/export.csv", views.export_contracts, name="export_contracts"),
    path("contracts/bulk/", views.contracts_bulk, name="contracts_bulk"),
    path("contracts/<int:contract_id>/row/", views.contract_table_row, name="contract_row"),
    path("contracts/<int:contract_id>/edit/", views.contract_edit, name="contract_edit"),
]
