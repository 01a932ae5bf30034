"""OGC API – Features (Living-in.EU MIM7) over the store: municipalities, Kreise, projects.

The blueprint is :mod:`endpoint.features.views`; :func:`feature` (one thing as a GeoJSON
Feature) is what the profile negotiation of documents reuses for its GeoJSON profile.
"""

from endpoint.features.collections import COLLECTIONS, feature

__all__ = ["COLLECTIONS", "feature"]
