"""The evidence vault: case folder, object store, catalog, custody log, artefacts, verification."""
