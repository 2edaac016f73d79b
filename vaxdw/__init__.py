"""vaxdw: the data warehouse of Shaanxi province's immunization programme."""

__version__ = "0.1.0"
