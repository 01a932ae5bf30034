"""The README's Virtuoso set-up, run as shown: the operator's ``isql-vt`` line on a fresh
Virtuoso 7, then the platform's remote store on the settings lines of the same block."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from smartregion.settings import load_settings
from smartregion.store.publication import Publication
from smartregion.store.remote import RemoteBackend
from tests.readme_commands import readme_commands, readme_settings
from tests.virtuoso_server import DBA_PASSWORD, ISQL, start_virtuoso, stop_virtuoso

pytestmark = [pytest.mark.remote, pytest.mark.virtuoso]

PASSWORD = "readme-loader-secret"


def test_the_readme_virtuoso_setup_serves_the_platform(tmp_path: Path) -> None:
    [command] = readme_commands("virtuoso")
    server = start_virtuoso(tmp_path / "virtuoso", operator_setup=False)
    try:
        # The shell would expand $DBA_PASSWORD and $LOADER_PASSWORD; the port is the test's.
        argv = [word.replace("$DBA_PASSWORD", DBA_PASSWORD).replace("$LOADER_PASSWORD",
                                                                     PASSWORD)
                for word in command.argv]
        assert argv[:2] == ["isql-vt", "1111"]
        argv[:2] = [ISQL, str(server.sql_port)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0 and "Error" not in done.stdout, done.stdout + done.stderr

        values = {k.removeprefix("SMARTREGION_").lower():
                  v.replace("http://virtuoso:8890", server.url).replace("$LOADER_PASSWORD",
                                                                        PASSWORD)
                  for k, v in readme_settings("virtuoso").items()}
        assert values["store"] == "remote" and values["store_dataset"] == "named"
        settings = load_settings(environ={}, data_dir=tmp_path / "loader",
                                 base_uri="http://testserver/", **values)
        backend = RemoteBackend(settings)
        backend.start()  # the store check at start passes on these settings
        graph = Graph()
        thing = URIRef("http://testserver/id/project/p")
        graph.add((thing, RDFS.label, Literal("p", lang="de")))
        version = backend.publish(Publication({"http://testserver/graph/projects": graph}))
        rows = backend.select('SELECT ?s WHERE { ?s ?p "p"@de }')
        assert [str(r["s"]) for r in rows] == [str(thing)]
        assert backend.version() == version
        backend.close()
    finally:
        stop_virtuoso(server)
