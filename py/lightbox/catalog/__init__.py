"""Series from headers (patient ► study ► series ► frames) and the completeness report."""
