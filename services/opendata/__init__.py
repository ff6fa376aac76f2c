"""Open data: OCDS 1.1 releases and records of every procurement, for anyone (issue 14)."""
