"""Hazard generators and importers: flood depth/velocity fields (and, later, chemical plumes)."""
