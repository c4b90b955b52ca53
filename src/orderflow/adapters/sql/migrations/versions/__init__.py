"""orderflow's revisions, one per schema version: ``v000N_...`` leaves the tables at version N."""
