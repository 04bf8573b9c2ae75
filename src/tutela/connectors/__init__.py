"""Connectors: the business's other SQL databases, reached by data-subject requests.

Each `[[connectors]]` entry of `tutela.toml` (`ConnectorSettings`) names a table and the column
holding a customer's identity (e.g. email); `Connectors` collects a customer's rows from every
one for an access request, and deletes, nulls or masks them for an erasure request.
"""

from tutela.connectors._values import JSONable
from tutela.connectors.connector import Connector
from tutela.connectors.service import ConnectorOutcome, Connectors
from tutela.connectors.settings import ConnectorList, ConnectorSettings

__all__ = [
    "Connector",
    "ConnectorList",
    "ConnectorOutcome",
    "ConnectorSettings",
    "Connectors",
    "JSONable",
]
