"""Development tools, left out of the registry archive: the test bed, the workflow and docs generators."""
