"""The shape of each result; types, lengths and labels come from the model fields."""

from datetime import datetime

from rest_framework import serializers

from data_access.models import Client
from data_access.querying import CLIENT_COLUMNS
from tenancy.models import Country

# The sortable columns' model fields: the aggregates' digits and labels come from them.
COLUMN_FIELDS = {column.key: column.field for column in CLIENT_COLUMNS}


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a numeric offset (…+00:00), as the API always wrote it."""

    def to_representation(self, value: datetime) -> str:
        return self.enforce_timezone(value).isoformat()


class ClientSerializer(serializers.ModelSerializer):
    created_at = IsoDateTimeField(read_only=True)

    class Meta:
        model = Client
        fields = ["id", "name", "email", "country", "created_at"]
        read_only_fields = fields


class ClientStatsSerializer(serializers.ModelSerializer):
    contract_count = serializers.IntegerField(
        read_only=True, allow_null=True, min_value=0, label=COLUMN_FIELDS["contracts"].verbose_name
    )

    class Meta:
        model = Client
        fields = ["id", "name", "contract_count"]
        read_only_fields = fields


class ClientAmountSerializer(serializers.ModelSerializer):
    total_amount = serializers.DecimalField(
        read_only=True,
        max_digits=COLUMN_FIELDS["total"].max_digits,
        decimal_places=COLUMN_FIELDS["total"].decimal_places,
        allow_null=True,
        label=COLUMN_FIELDS["total"].verbose_name,
        help_text="Total of the client's active contracts, in the page's currency.",
    )

    class Meta:
        model = Client
        fields = ["id", "name", "total_amount"]
        read_only_fields = fields


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["code", "name"]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(read_only=True)


class QueryErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        read_only=True,
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each bad parameter with its messages.",
    )
