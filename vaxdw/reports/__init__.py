"""Report queries over the warehouse marts (one module per report)."""
