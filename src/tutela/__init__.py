"""Tutela: a customer-data privacy vault.

from tutela import Tutela
with Tutela.open("~/.tutela") as vault:
    subject = vault.add({"email": "ada@example.com"})
    vault.read(subject, purpose="order_fulfilment", role="support")
"""

from tutela import errors
from tutela._facade import Tutela
from tutela._version import __version__
from tutela.actor import Actor
from tutela.config import Settings

__all__ = ["Actor", "Settings", "Tutela", "__version__", "errors"]
