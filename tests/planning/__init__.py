"""Tests of the planning context: needs, the project library, budgets and the budget guard."""
