"""The EU Council decision model: models of legislative outcomes tested on DEU III data,
and the one interface through which the simulator's mandate (M08) and accession (M24)
votes call the chosen model."""
