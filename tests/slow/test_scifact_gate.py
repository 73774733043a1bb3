"""SciFact nDCG@10 of each retriever, through the real write and read paths.

Figures at the time of writing (bench/scifact.py): BM25 0.685, dense 0.655, hybrid 0.715
(published: BM25 0.665, all-MiniLM-L6-v2 ~0.645). A change that loses more than 0.005 fails.
"""

from __future__ import annotations

from pathlib import Path

from evals import beir
from ingest.chunk import Chunker
from rag.embedder import LazyEmbedder
from rag.settings import ChunkSettings, RetrievalSettings
from rag.store import Store
from tests.slow.conftest import SHARED

GATES = {"bm25": 0.680, "dense": 0.650, "hybrid": 0.710}


def test_scifact_ndcg_gates(tmp_path: Path) -> None:
    data = beir.load(SHARED / "scifact")
    emb = LazyEmbedder("all-MiniLM-L6-v2")
    chunker = Chunker(emb.tokenizer, ChunkSettings())
    coll = beir.build(Store(tmp_path), "scifact", data, emb, chunker)
    scores = beir.evaluate(coll, emb, data, list(GATES), RetrievalSettings())
    for mode, gate in GATES.items():
        assert scores[mode]["ndcg@10"] >= gate, (mode, scores[mode])
