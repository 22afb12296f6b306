"""The Conditionality Framework as policy-as-code (placeholder; filled in below)."""
