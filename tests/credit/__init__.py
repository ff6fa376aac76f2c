"""Tests of the credit context: disqualifications and the bars they place across regions."""
