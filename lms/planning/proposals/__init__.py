"""OPD training proposals, the duplicate check across OPDs, and BKPSDM decisions."""
