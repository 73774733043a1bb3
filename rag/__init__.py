"""sabio's core library: types, settings, models, the index store, retrieval."""

from rag import offline as _offline

_offline.apply()
