"""Vaccine traceability logic that is not SQL: FEFO allocation of planned outbound documents."""
