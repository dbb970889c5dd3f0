"""The index can live in a Chroma server (`chroma run`) instead of the embedded store."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import httpx
import pytest

from bot.corpus.layout import IndexLayout, chroma_client
from tests.conftest import REPO
from tests.ingestion import answers, copy_docs, ingest

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    server = subprocess.Popen([str(REPO / ".venv" / "bin" / "chroma"), "run", "--path", str(tmp_path / "chroma"),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "chroma run exited"
            assert time.monotonic() < deadline, "chroma run did not answer within 60 s"
            time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_ingest_into_a_chroma_server_and_query_through_the_reader(tmp_path, chroma_server, use_embedder):
    chroma = {"chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    source = copy_docs(tmp_path / "docs")
    data_dir = tmp_path / "var"
    ids = [ingest(data_dir, source, use_embedder, **chroma).index_id]
    served = answers(data_dir, use_embedder, **chroma)
    assert served["index_id"] == ids[0]
    assert len(served["dense_ids"]) == 10
    assert set(served["dense_ids"]) <= {cid for cid, _, _ in served["chunks"]}
    layout = IndexLayout(data_dir / "index")
    assert not (layout.gen_dir(ids[0]) / "chroma").exists()  # nothing in the embedded store

    for n in (1, 2):  # two more generations: the first one falls out of keep_generations=2
        glossary = source / "glossary.md"
        glossary.write_text(glossary.read_text() + f"\n## Term {n}\n\nA new glossary entry number {n} for the test.\n")
        ids.append(ingest(data_dir, source, use_embedder, **chroma).index_id)
    client = chroma_client(layout.root, "127.0.0.1", chroma_server)
    assert {c.name for c in client.list_collections()} == {f"atlas-{ids[1]}", f"atlas-{ids[2]}"}
    assert set(layout.complete_ids_by_age()) == {ids[1], ids[2]}
    assert answers(data_dir, use_embedder, **chroma)["index_id"] == ids[2]
