"""The test suite: one package per context of ``services``, mirroring its layout."""
