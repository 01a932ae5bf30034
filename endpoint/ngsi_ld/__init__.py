"""NGSI-LD (ETSI GS CIM 009), read-only, for Living-in.EU MIM1 context brokers.

The blueprint lives in :mod:`endpoint.ngsi_ld.views`; the functions other views may reuse
(the profile negotiation of documents, for one) are re-exported here:

- :func:`ngsi_entity` — the NGSI-LD entity of one IRI in a representation (no ``@context``);
- :func:`terms` — our NGSI-LD names, and :data:`CONTEXT_PATH` where our ``@context`` is served.
"""

from endpoint.ngsi_ld.context import CONTEXT_PATH, CORE_CONTEXT_URL, terms
from endpoint.ngsi_ld.entities import ngsi_entity

__all__ = ["CONTEXT_PATH", "CORE_CONTEXT_URL", "ngsi_entity", "terms"]
