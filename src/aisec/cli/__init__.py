"""The ``aisec`` command line: parsing and rendering only; logic lives in the packages."""
