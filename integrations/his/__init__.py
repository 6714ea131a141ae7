"""Adapter to the hospitals' information system (HIS), spoken as HL7 FHIR R4 over REST."""
